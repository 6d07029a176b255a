namespace Sharpbox.Host;

// What an exec sandbox does with the assembly it is handed: run it (the default, and all a sandbox did
// before views existed), or show what the compiler made of it. The job travels as an optional third frame
// on fd 3 (Executor.cs), so a pre-started sandbox serves every job but `asm`, whose JIT settings are read
// at runtime start-up and so need a sandbox launched for it (src/runner/backends/local/index.ts).
internal enum ProgramJob
{
    Run,
    Il,
    Lowered,
    Asm,
}

internal static class ProgramJobs
{
    /// <summary>The job a frame names; an unknown name is the runner's bug, so a fault, not a guess.</summary>
    public static ProgramJob Parse(byte[]? frame) => frame is null ? ProgramJob.Run : System.Text.Encoding.ASCII.GetString(frame) switch
    {
        "run" => ProgramJob.Run,
        "il" => ProgramJob.Il,
        "lowered" => ProgramJob.Lowered,
        "asm" => ProgramJob.Asm,
        var other => throw new InvalidDataException($"unknown job '{Truncation.Cut(other, 20)}' on the control fd"),
    };
}
