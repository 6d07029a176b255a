// Attack: make the value formatter behind Dump() and a trailing expression hang, blow the stack, exhaust
// memory or print without end: an infinite sequence, a self-referencing graph, a ToString returning
// 40 MB, getters that throw, a sequence whose enumerator throws, and an infinite sequence as the last line.
// How: each is dumped in turn; the snippet ends with an infinite sequence (no semicolon), which the
// compiler rewrites into a call of the formatter.
// Contained when: every one prints a bounded line (items, characters and depth capped, the cycle and the
// exceptions shown as such), the program goes on to print CONTAINED, and the run ends ok.
// expect-status: ok
// expect-stdout: CONTAINED
Forever().Dump();
var loop = new Node();
loop.Next = loop;
loop.Dump();
new[] { loop, loop }.Dump();
new Huge().Dump();
new Throws().Dump();
Broken().Dump();
var total = 0;
foreach (var x in Enumerable.Range(0, 1000)) total += x;
Console.WriteLine(total == 499500 ? "CONTAINED" : "ESCAPED");
Forever()

static IEnumerable<int> Forever() { for (var i = 0; ; i++) yield return i; }
static IEnumerable<int> Broken() { yield return 1; throw new InvalidOperationException("enumerator broke"); }
class Node { public Node? Next; public List<Node> All => [this, this]; }
class Huge { public override string ToString() => new string('h', 20_000_000); }
class Throws { public int A => throw new StackOverflowException(); public string B => throw new OutOfMemoryException(); }
