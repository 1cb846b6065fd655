import { ident } from '../../compiler/sql.js';
import { structFields } from '../shared/flatten.js';
import { changedByDouble, scanRecords } from '../source.json/sampled-values.js';

const HUGEINT_MAX = (1n << 127n) - 1n;
const DOUBLE_EXACT = 1n << 53n;
const WHOLE = /^-?\d+$/;

/**
 * DuckDB's JSON reader infers DOUBLE for a key whose sampled numbers include an integer beyond 64
 * bits, or a mix of integers and fractions: 9007199254740993 then arrives as …992 and 1e400 as
 * infinity, without a word. From the sampled messages' own text (`lines`: spool lines whose
 * `value` is the message as sent): a top-level key holding only whole numbers becomes HUGEINT (read
 * from the number's text, every digit kept; a later fraction is refused as not whole); a key whose
 * numbers a double changes otherwise (more than 15 significant digits, beyond a double's range)
 * stays DOUBLE with a warning naming the key, an example and the fix.
 */
export function exactInferredNumbers(valueType: string, lines: string[], nodeId: string, warn: (message: string) => void): string {
  const fields = structFields(valueType);
  if (!fields?.some((f) => f.type === 'DOUBLE')) return valueType;
  const numbers = new Map<string, string[]>();
  for (const line of lines) {
    scanRecords(line, 1, (path, raw, isString) => {
      if (isString || path.length !== 2 || path[0] !== 'value') return;
      const key = path[1]!;
      const list = numbers.get(key) ?? [];
      list.push(raw);
      numbers.set(key, list);
    });
  }
  const typed = fields.map((f) => {
    if (f.type !== 'DOUBLE') return f;
    const raws = numbers.get(f.name) ?? [];
    const whole = raws.length > 0 && raws.every((r) => WHOLE.test(r) && abs(BigInt(r)) <= HUGEINT_MAX);
    if (whole && raws.some((r) => abs(BigInt(r)) > DOUBLE_EXACT)) return { ...f, type: 'HUGEINT' };
    const example = raws.find((r) => changedByDouble(r) || !Number.isFinite(Number(r)));
    if (example !== undefined) {
      warn(
        `node '${nodeId}': key "${f.name}" of the sampled messages holds ${example}, which its inferred type DOUBLE does not keep (it arrives as ${String(Number(example))}); to keep every digit, list the value columns (columns) with "${f.name}" as DECIMAL(p,s) (sent as a string when it has a fraction and more than 15 digits), HUGEINT, or VARCHAR`,
      );
    }
    return f;
  });
  return `STRUCT(${typed.map((f) => `${ident(f.name)} ${f.type}`).join(', ')})`;
}

const abs = (n: bigint) => (n < 0n ? -n : n);
