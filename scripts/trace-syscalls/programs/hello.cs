// Hello World: the floor every program pays.
Console.WriteLine("Hello, World!");
