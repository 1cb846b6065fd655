/** PostgreSQL log positions (LSNs, "16/B374D848") as numbers to compare, and back. */

/** An LSN's text as a number. */
export function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi ?? '0'}`) << 32n) + BigInt(`0x${lo ?? '0'}`);
}

/** A number as LSN text (upper-case hex, as PostgreSQL prints it). */
export function lsnText(v: bigint): string {
  return `${(v >> 32n).toString(16).toUpperCase()}/${(v & 0xffffffffn).toString(16).toUpperCase()}`;
}
