// Code generated at run time: DynamicMethod, Reflection.Emit, compiled expressions, generics over value types.
using System.Linq.Expressions;
using System.Reflection.Emit;
var dm = new DynamicMethod("Add", typeof(int), [typeof(int), typeof(int)]);
var il = dm.GetILGenerator(); il.Emit(OpCodes.Ldarg_0); il.Emit(OpCodes.Ldarg_1); il.Emit(OpCodes.Add); il.Emit(OpCodes.Ret);
Console.WriteLine(((Func<int, int, int>)dm.CreateDelegate(typeof(Func<int, int, int>)))(2, 3));
var ab = AssemblyBuilder.DefineDynamicAssembly(new("dyn"), AssemblyBuilderAccess.RunAndCollect);
var tb = ab.DefineDynamicModule("dyn").DefineType("T", System.Reflection.TypeAttributes.Public);
Console.WriteLine(tb.CreateType().Name);
Expression<Func<int, int>> e = x => x * 2 + 1; Console.WriteLine(e.Compile()(20));
var pe = Expression.Parameter(typeof(string)); Console.WriteLine(Expression.Lambda<Func<string, int>>(Expression.Property(pe, "Length"), pe).Compile()("four"));
long Fib(int n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2);
var sw = System.Diagnostics.Stopwatch.StartNew(); long s = 0; for (var i = 0; i < 2_000_000; i++) s += i % 7; Console.WriteLine(Fib(27) + s);
dynamic d = 5; Console.WriteLine(d + 1);
Console.WriteLine(typeof(List<>).MakeGenericType(typeof(Guid)).GetConstructor(Type.EmptyTypes)!.Invoke(null));
unsafe { int* p = stackalloc int[100]; p[5] = 1; Console.WriteLine(p[5]); }
Span<byte> span = stackalloc byte[64]; span.Fill(1); Console.WriteLine(span[63]);
