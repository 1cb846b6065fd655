/**
 * A FLOAT (32-bit) value reaches JavaScript as the double it is exactly, so 0.1 reads
 * 0.10000000149011612. For showing it: the shortest decimal that is the same FLOAT (0.1), as DuckDB
 * writes it to CSV. Not for computing: the double is the value.
 */
export function shortestFloat32(value: number): number {
  // 0 and -0 stay as they are (toPrecision drops the sign).
  if (value === 0 || !Number.isFinite(value) || Math.fround(value) !== value) return value;
  for (let digits = 1; digits <= 9; digits++) {
    const shorter = Number(value.toPrecision(digits));
    if (Math.fround(shorter) === value) return shorter;
  }
  return value;
}
