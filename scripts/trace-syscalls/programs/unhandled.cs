// An unhandled exception: the runtime prints it and aborts (SIGABRT).
Console.WriteLine("before");
throw new InvalidOperationException("boom");
