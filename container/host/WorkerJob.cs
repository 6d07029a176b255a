using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sharpbox.Host;

// One job blob of a worker (`workers/<id>/job-<i>.json`, written by the service when it assigns run i):
// a JSON object of strings with what a cold container gets in its environment, plus where job i+1 and
// this run's cancellation will appear, and the run's id for the worker's log. Every field is required;
// a missing or malformed one ends the worker with 78 before anything of the run happens.
internal sealed partial record WorkerJob(
    int TimeoutMs,
    int CompileTimeoutMs,
    int OutputBytes,
    long MemoryBytes,
    int MaxProcesses,
    string SourceUrl,
    string? StdinUrl,
    string ResultUrl,
    string NextJobUrl,
    string CancelUrl,
    string RunId,
    string? Optimize = null,
    string? LangVersion = null)
{
    public static WorkerJob Parse(string json, int run)
    {
        var where = $"job {run}";
        Dictionary<string, string>? fields;
        try
        {
            fields = JsonSerializer.Deserialize(json, FactsJson.Default.DictionaryStringString);
        }
        catch (JsonException)
        {
            throw new MissingSettingException("the job's JSON (an object of strings)", where);
        }
        var s = Settings.FromJob(fields ?? throw new MissingSettingException("the job's JSON (an object of strings)", where), where);
        var runId = s.Text("SHARPBOX_RUN_ID");
        // It goes into log lines as it is: nothing that could forge or break one.
        if (!RunIdShape().IsMatch(runId)) throw new MissingSettingException("SHARPBOX_RUN_ID", where);
        return new WorkerJob(
            TimeoutMs: s.PositiveInt("SHARPBOX_TIMEOUT_MS"),
            CompileTimeoutMs: s.PositiveInt("SHARPBOX_COMPILE_TIMEOUT_MS"),
            OutputBytes: s.Int("SHARPBOX_OUTPUT_BYTES"),
            MemoryBytes: s.PositiveLong("SHARPBOX_MEMORY_BYTES"),
            MaxProcesses: s.PositiveInt("SHARPBOX_MAX_PROCESSES"),
            SourceUrl: s.Url("SHARPBOX_SOURCE_URL"),
            StdinUrl: s.Bool("SHARPBOX_HAS_STDIN") ? s.Url("SHARPBOX_STDIN_URL") : null,
            ResultUrl: s.Url("SHARPBOX_RESULT_URL"),
            NextJobUrl: s.Url("SHARPBOX_NEXT_JOB_URL"),
            CancelUrl: s.Url("SHARPBOX_CANCEL_URL"),
            RunId: runId,
            Optimize: s.Optional("SHARPBOX_OPTIMIZE"),
            LangVersion: s.Optional("SHARPBOX_LANG_VERSION"));
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex RunIdShape();
}
