namespace Sharpbox.Host;

// The exit codes of the container's own failures (not the program's, which go in its facts), shared by
// one-shot and worker mode; src/runner/backends/aci/containerEnv.ts CONTAINER_EXIT maps them to reasons.
internal static class ContainerExit
{
    /// <summary>sysexits' EX_SOFTWARE: the host itself failed (a bug or a broken image, never the program).</summary>
    public const int InternalFailure = 70;
    /// <summary>sysexits' EX_NOPERM: storage answered 403 to a SAS URL.</summary>
    public const int StorageDenied = 77;
    /// <summary>sysexits' EX_CONFIG: a setting the service always sends was missing or malformed.</summary>
    public const int MissingSetting = 78;

    /// <summary>Runs a container mode and turns its two expected refusals into their exit codes.</summary>
    public static async Task<int> Guard(Func<Task<int>> mode)
    {
        try
        {
            return await mode();
        }
        catch (StorageDeniedException e)
        {
            // A SAS that expired or was revoked will not come back: waiting or retrying only holds the
            // container (and the run) until its deadline. The service maps this exit code to its reason.
            Console.Error.WriteLine($"sharpbox: storage refused the {e.What} URL (HTTP 403): its SAS expired or was revoked");
            return StorageDenied;
        }
        catch (MissingSettingException e) when (e.Where is null)
        {
            Console.Error.WriteLine($"sharpbox: {e.Name} is missing or malformed; the service sets every limit (src/runner/backends/aci/containerEnv.ts), so this image does not match it");
            return MissingSetting;
        }
        catch (MissingSettingException e)
        {
            Console.Error.WriteLine($"sharpbox: {e.Name} is missing or malformed in {e.Where}; the service writes every field (src/runner/backends/aci/containerEnv.ts), so this image does not match it");
            return MissingSetting;
        }
    }
}
