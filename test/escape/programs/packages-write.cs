// Attack: tamper with the allowed NuGet packages (container/packages) so that a later run, or the
// compile server, loads code of ours: overwrite a package's assembly or the manifest that maps assembly
// names to files, add a file, delete or rename one.
// How: the program uses Newtonsoft.Json (so its assembly is loaded and mapped), then tries every write
// it can think of on every file and folder of the packages layout beside the runner host.
// Contained when: every write fails (the host's directory, packages included, is bound read-only) and
// Newtonsoft.Json still works.
// expect-status: ok
// expect-stdout: CONTAINED
#:package Newtonsoft.Json@13.0.4
var root = "/sandbox/host/packages";
var escaped = false;
void Try(string what, Action act)
{
    try { act(); escaped = true; Console.WriteLine($"ESCAPED: {what}"); }
    catch (Exception e) { Console.WriteLine($"{what}: {e.GetType().Name}"); }
}
var files = Directory.GetFiles(root, "*", SearchOption.AllDirectories);
Console.WriteLine(files.Length > 2 ? $"{files.Length} files" : "ESCAPED? the packages are not where the test looks");
foreach (var file in files)
{
    Try($"append to {file}", () => { using var s = new FileStream(file, FileMode.Append, FileAccess.Write); s.WriteByte(0); });
    Try($"delete {file}", () => File.Delete(file));
    Try($"rename {file}", () => File.Move(file, file + ".moved"));
}
Try("replace the manifest", () => File.WriteAllText($"{root}/manifest.json", "{\"packages\":[],\"assemblies\":{}}"));
Try("add a file", () => File.WriteAllText($"{root}/evil.dll", "x"));
Try("add a folder", () => Directory.CreateDirectory($"{root}/evil"));
Try("remove the folder", () => Directory.Delete(root, recursive: true));
Console.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new[] { 1 }) == "[1]" && !escaped ? "CONTAINED" : "ESCAPED");
