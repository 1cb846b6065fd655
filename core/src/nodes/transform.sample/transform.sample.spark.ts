import type { SparkForm } from '../define.js';
import { ident, literal } from '../../compiler/sql.js';

type Params = { unit: 'rows' | 'percent'; size: number; seed: number };

/**
 * Spark has no reservoir sample, and its TABLESAMPLE (n ROWS) takes the first rows. The Spark form
 * ranks rows by a hash of every column and the seed: the same number of rows (or share) as DuckDB,
 * repeatable for a seed, but not the same rows (each engine has its own hash function).
 */
export const sampleSpark: SparkForm<Params> = {
  kind: 'custom',
  notes: 'Spark samples the same number of rows (or share), repeatable for a seed, not the same rows as DuckDB.',
  compile(ctx) {
    const { unit, size, seed } = ctx.params;
    const input = ctx.input();
    const h = `hash(${[...input.columns.map((c) => ident(c.name)), literal(seed)].join(', ')})`;
    const out =
      unit === 'rows'
        ? `SELECT * FROM ${input.ref}\nORDER BY ${h}\nLIMIT ${literal(size)}`
        : // A bucket in 0…999,999 per row; both engines' % keep the sign, hence the shift.
          `SELECT * FROM ${input.ref}\nWHERE (${h} % 1000000 + 1000000) % 1000000 < ${literal(Math.round(size * 10_000))}`;
    return { outputs: { out }, materialize: true };
  },
};
