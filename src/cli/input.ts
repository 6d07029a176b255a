// Reads the CLI's inputs (code and stdin files) and rejects bad ones with one clear line: missing,
// empty, too large, NUL bytes, invalid UTF-8. Nothing here throws past the CLI's catch.

export class InputError extends Error {
  override name = 'InputError';
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decodes bytes that a person gave us as text, or says exactly why it is not acceptable. */
export function decodeText(bytes: Buffer, what: string, maxBytes: number, allowEmpty: boolean): string {
  if (bytes.length > maxBytes) throw new InputError(`${what} is ${bytes.length} bytes; the limit is ${maxBytes}`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new InputError(`${what} contains a NUL byte (at byte ${nul}); is it a binary file?`);
  let text: string;
  try {
    text = fatalUtf8.decode(bytes);
  } catch {
    throw new InputError(`${what} is not valid UTF-8 (at byte ${firstInvalidUtf8(bytes)})`);
  }
  if (!allowEmpty && text.trim().length === 0) throw new InputError(`${what} is empty`);
  return text;
}

export function firstInvalidUtf8(bytes: Buffer): number {
  for (let lo = 0, hi = bytes.length; ; ) {
    if (hi - lo <= 1) return lo;
    const mid = (lo + hi) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid;
    }
  }
}
