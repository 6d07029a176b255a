// Environment.FailFast and a null dereference caught as an exception.
try { unsafe { *(int*)0 = 1; } } catch (NullReferenceException) { Console.WriteLine("NRE caught"); }
try { checked { int x = int.MaxValue; x++; } } catch (OverflowException) { Console.WriteLine("overflow"); }
try { int z = 0; Console.WriteLine(1 / z); } catch (DivideByZeroException) { Console.WriteLine("div0"); }
Environment.FailFast("fail fast");
