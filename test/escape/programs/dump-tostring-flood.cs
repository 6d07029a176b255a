// Attack: make the formatter flood the host: a value whose ToString writes to stdout without end while
// Dump() formats it, and again as the snippet's trailing expression.
// How: ToString loops writing 1 MB strings to Console.Out; the formatter calls it inside the user's run.
// Contained when: the host-side output cap stops the run (the formatter adds nothing the cap does not see).
// expect-status: output_limit
new Flood().Dump();
new Flood()

class Flood
{
    public override string ToString()
    {
        var chunk = new string('f', 1_000_000);
        while (true) Console.Out.Write(chunk);
    }
}
