// The views of what the compiler made (issue #14): instead of running the program, its sandbox prints a
// listing on stdout: the IL of the user's types, the lowered C# the decompiler reads back out of it, or
// the JIT's x64 assembly for the user's methods. The listing is capped, streamed and truncated exactly
// like program output; a compile error is the same compile_error result as a run's. The work happens in
// a fresh exec sandbox per request, never in the service or the shared compile server (see
// container/host/DecompiledView.cs and JitListing.cs). Pure: validation and the JIT pattern.
import type { ViewKind } from './types.js';

export const VIEW_KINDS: readonly ViewKind[] = ['il', 'asm', 'lowered'];

export function isViewKind(value: unknown): value is ViewKind {
  return typeof value === 'string' && (VIEW_KINDS as readonly string[]).includes(value);
}

/** At most this many characters in `methods`, and this many patterns. */
export const METHODS_MAX_CHARS = 200;
export const METHODS_MAX_PATTERNS = 10;

/**
 * One JIT method pattern as DOTNET_JitDisasm reads it: `Method`, `Class:Method` or `Namespace.Class:Method`,
 * `*` for any run of characters, `+` between nested classes, `<>` and `$` for compiler-made names
 * (`<Main>$`). Nothing else: the value goes into the sandbox's environment, and a strict set keeps the
 * JIT's own parser to its documented syntax.
 */
const PATTERN = /^[A-Za-z0-9_*.+<>$]{1,100}(?::[A-Za-z0-9_*<>$.]{1,100})?$/;

/**
 * The DOTNET_JitDisasm value for `methods` (patterns separated by spaces or commas), or null when it is
 * not a list of patterns. No methods named: every method (`*`), of which the host keeps the listings of
 * the program's own types.
 */
export function jitPattern(methods: unknown): string | null {
  if (methods === undefined) return '*';
  if (typeof methods !== 'string' || methods.length > METHODS_MAX_CHARS) return null;
  const patterns = methods.split(/[\s,]+/).filter((p) => p.length > 0);
  if (patterns.length === 0 || patterns.length > METHODS_MAX_PATTERNS) return null;
  return patterns.every((p) => PATTERN.test(p)) ? patterns.join(' ') : null;
}

/** The markdown language tag a listing reads best under (IL has no highlighter: see README "Views"). */
export function viewLanguage(view: ViewKind): string {
  switch (view) {
    case 'lowered':
      return 'cs';
    case 'asm':
      return 'x86asm';
    case 'il':
      // IL shares C#'s keywords (public, static, class, void, string), its `//` comments and its string
      // literals, so the C# highlighter colours it sensibly; no highlighter knows IL itself.
      return 'cs';
  }
}
