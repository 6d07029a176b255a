// Run me: npx sharpbox run examples/hello.cs
var name = Environment.UserName is { Length: > 0 } user ? user : "world";
Console.WriteLine($"Hello from C# {Environment.Version} in the sharpbox sandbox!");
Console.WriteLine($"Running as '{name}' with {Environment.ProcessorCount} CPUs; 6 × 7 = {6 * 7}.");
