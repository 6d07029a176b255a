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

/** Byte offset of the first byte that does not start a valid UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i] ?? 0;
    const length =
      lead < 0x80 ? 1 : (lead & 0xe0) === 0xc0 ? 2 : (lead & 0xf0) === 0xe0 ? 3 : (lead & 0xf8) === 0xf0 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) return i;
    try {
      fatalUtf8.decode(bytes.subarray(i, i + length)); // also catches overlong forms and surrogates
    } catch {
      return i;
    }
    i += length;
  }
  return bytes.length;
}
