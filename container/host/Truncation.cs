namespace Sharpbox.Host;

internal static class Truncation
{
    /// <summary>
    /// At most maxChars UTF-16 units, ending with "…" when cut. The cut never separates the halves of a
    /// surrogate pair, so the result is still valid UTF-16 (and serialises to valid UTF-8 JSON).
    /// </summary>
    public static string Cut(string text, int maxChars)
    {
        if (text.Length <= maxChars) return text;
        var keep = maxChars - 1;
        if (keep > 0 && char.IsHighSurrogate(text[keep - 1])) keep--;
        return string.Concat(text.AsSpan(0, keep), "…");
    }
}
