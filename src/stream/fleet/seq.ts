// Positions in the event log: Redis stream ids ("1732990000000-3") or the local log's counters ("42").
// Compared as numbers part by part, never as strings ("10" > "9").

const SEQ = /^\d{1,20}(-\d{1,20})?$/;

export function isSeq(value: string): boolean {
  return SEQ.test(value);
}

/** Negative when a comes first, 0 when equal, positive when a comes after b. */
export function compareSeq(a: string, b: string): number {
  const [am = 0n, an = 0n] = a.split('-').map((x) => BigInt(x));
  const [bm = 0n, bn = 0n] = b.split('-').map((x) => BigInt(x));
  if (am !== bm) return am < bm ? -1 : 1;
  if (an !== bn) return an < bn ? -1 : 1;
  return 0;
}
