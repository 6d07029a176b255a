// A stack overflow: the runtime prints "Stack overflow." and aborts.
static int F(int n) => F(n + 1) + 1;
Console.WriteLine(F(0));
