// Finds the C# program (and its stdin) in a Discord message. Pure.

export interface ExtractedCode {
  code: string;
  stdin: string;
}

const FENCE = /```([^\n`]*)\n([\s\S]*?)```/g;
const CSHARP = new Set(['cs', 'csharp', 'c#']);

/**
 * The first ```cs / ```csharp / ```c# block (any case) is the code. A following ```stdin block, or else the
 * next block with no language, is stdin. Returns null when there is no C# block.
 */
export function extractCode(content: string): ExtractedCode | null {
  const blocks = [...content.matchAll(FENCE)].map((m) => ({
    lang: (m[1] ?? '').trim().toLowerCase(),
    body: m[2] ?? '',
    index: m.index ?? 0,
  }));
  const codeAt = blocks.findIndex((b) => CSHARP.has(b.lang));
  const code = blocks[codeAt];
  if (!code) return null;
  const after = blocks.slice(codeAt + 1);
  const stdin = after.find((b) => b.lang === 'stdin') ?? after.find((b) => b.lang === '');
  return { code: code.body, stdin: stdin?.body ?? '' };
}

export function hasCode(content: string): boolean {
  return extractCode(content) !== null;
}
