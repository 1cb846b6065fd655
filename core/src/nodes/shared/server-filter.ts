import { z } from 'zod';

const LIST_VALUES = 'a list of values holds texts, numbers or booleans, not null (a NULL in IN never matches; use op is_null)';

/** A value a list filter (`in`, `not_in`) may hold: NULL matches nothing in a list, so it is not one. */
const listValue = z.union([z.string(), z.number(), z.boolean()], { error: LIST_VALUES });

/** A filter a database source sends to its server, the value as a bind parameter (PostgreSQL, SQL Server). */
export const serverFilter = z
  .object({
    column: z.string().min(1),
    op: z.enum(['=', '!=', '<', '<=', '>', '>=', 'in', 'not_in', 'is_null', 'not_null', 'like']),
    value: z
      .union([z.string(), z.number(), z.boolean(), z.null(), z.array(listValue)], {
        error: (issue) =>
          Array.isArray(issue.input) ? LIST_VALUES : 'expected a text, a number, a boolean, null, or a list of them (for in / not_in)',
      })
      .optional(),
  })
  .strict();

/** The filters with pipeline params filled into their text values (`${run_date}`), list items too, as every engine reads them. */
export function filledFilters<F extends { value?: unknown }>(filters: F[], text: (s: string) => string): F[] {
  const fill = (v: unknown): unknown => (typeof v === 'string' ? text(v) : v);
  return filters.map((f) => ({ ...f, value: Array.isArray(f.value) ? f.value.map(fill) : fill(f.value) }));
}
