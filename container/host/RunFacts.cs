using System.Text.Json.Serialization;

namespace Sharpbox.Host;

// What the container uploads for a run (src/runner/backends/aci/facts.ts reads it): the compile response,
// the program's exit, output and notes, and in worker mode whether it was cancelled and what the worker
// does next (the worker protocol's "result of run i", which src/runner/backends/aci/workers.ts reads).

public sealed class RunFacts
{
    public CompileResponse? Compile { get; set; }
    public bool CompileTimedOut { get; set; }
    public double CompileMs { get; set; }
    public ExecFacts? Exec { get; set; }
    /// <summary>True only when the service's cancel blob ended the run; absent otherwise (and always in one-shot mode).</summary>
    public bool? Cancelled { get; set; }
    /// <summary>Worker mode only: which run of the worker this was, and whether the worker leaves after it.</summary>
    public WorkerFacts? Worker { get; set; }
}

public sealed class ExecFacts
{
    public int ExitCode { get; set; }
    public bool TimedOut { get; set; }
    public bool OutputExceeded { get; set; }
    public string Stdout { get; set; } = "";
    public string Stderr { get; set; } = "";
    public string Notes { get; set; } = "";
    public double WallMs { get; set; }
    /// <summary>The run was killed because its cancellation came (RunFacts.Cancelled carries it out).</summary>
    [JsonIgnore] public bool KilledByCancel { get; set; }
}

public sealed class WorkerFacts(int run, string? why)
{
    public int Run { get; } = run;
    /// <summary>The worker polls no further job and exits 0 right after this upload.</summary>
    public bool Retiring => Why is not null;
    /// <summary>Written as null when the worker stays: the service reads the field, not its absence.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Why { get; } = why;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunFacts))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class FactsJson : JsonSerializerContext;
