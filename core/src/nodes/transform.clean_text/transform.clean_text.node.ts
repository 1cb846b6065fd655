import { z } from 'zod';
import { defineNode } from '../define.js';
import { cleanTextSpark } from './transform.clean_text.spark.js';
import { ident, stringLiteral } from '../../compiler/sql.js';
import { duplicateIndexes, findColumn, paramError } from '../shared/columns.js';
import { trimWhitespaceSql, WHITESPACE } from '../shared/unicode-text.js';

const params = z
  .object({
    columns: z.array(z.string().min(1)).default([]).meta({
      label: 'Columns',
      help: 'Text (VARCHAR) columns to clean. Leave empty to clean every text column.',
      widget: 'columns',
      group: 'Columns',
    }),
    trim: z.boolean().default(true).meta({ label: 'Trim', help: 'Remove whitespace (spaces, tabs, line breaks, non-breaking spaces) at both ends.', widget: 'boolean', group: 'Whitespace' }),
    collapse_whitespace: z.boolean().default(true).meta({
      label: 'Collapse whitespace',
      help: 'Replace each run of whitespace inside the text (tabs, line breaks, several spaces) with one space.',
      widget: 'boolean',
      group: 'Whitespace',
    }),
    case: z.enum(['keep', 'lower', 'upper', 'title']).default('keep').meta({
      label: 'Case',
      help: '`title` capitalizes the first letter of each space-separated word and lowercases the rest ("josé MUÑOZ" → "José Muñoz").',
      widget: 'select',
      group: 'Characters',
    }),
    normalize_unicode: z.boolean().default(false).meta({
      label: 'Normalize Unicode (NFC)',
      help: 'Compose letters and accents into single characters, so "é" typed two ways compares equal.',
      widget: 'boolean',
      group: 'Characters',
    }),
    strip_control: z.boolean().default(false).meta({
      label: 'Remove control characters',
      help: 'Remove invisible control characters (NUL, bell, escape, …, C1 controls), zero-width spaces and byte-order marks. Tabs and line breaks count as whitespace instead.',
      widget: 'boolean',
      group: 'Characters',
    }),
    remove_accents: z.boolean().default(false).meta({
      label: 'Remove accents',
      help: '"José Muñoz" → "Jose Munoz". Letters that are not a base letter plus an accent (ø, ß, Ł) stay as they are.',
      widget: 'boolean',
      group: 'Characters',
    }),
    empty_to_null: z.boolean().default(true).meta({
      label: 'Empty text to NULL',
      help: 'After the other steps, text that is empty becomes NULL (so a value of only spaces becomes NULL when trimming).',
      widget: 'boolean',
      group: 'Characters',
    }),
  })
  .strict();

type Params = z.output<typeof params>;

/** WHITESPACE without the plain space (\\p{Zs} spelled out; a test compares the node with the plain replacement on every BMP character). */
const OTHER_WHITESPACE = '[\\t\\n\\x0B\\x0C\\r\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{202F}\\x{205F}\\x{3000}\\x{2028}\\x{2029}]';
/**
 * What collapsing changes: a run of two or more whitespace characters, or a single one that is not a
 * plain space. Same result as replacing every run (`WHITESPACE+`), but most values hold no such
 * match, and RE2 then leaves the text as it is instead of rebuilding it around each single space
 * (0.3–0.5 s less for two columns of 10M rows read from CSV). It stays a plain function call (no
 * CASE), so DuckDB still evaluates it once per dictionary entry on dictionary-encoded input.
 */
const COLLAPSIBLE = `${WHITESPACE}{2,}|${OTHER_WHITESPACE}`;
/**
 * C0 controls except the line breaks and tab (LF, VT, FF, CR), DEL, C1 controls except NEL (U+0085,
 * a line break), zero-width space, byte-order mark. The breaks are whitespace (WHITESPACE): removing
 * them here glued the words on either side together ("first\u0085second" became "firstsecond").
 */
const CONTROL = '[\\x00-\\x08\\x0E-\\x1F\\x7F-\\x84\\x86-\\x9F\\x{200B}\\x{FEFF}]';

/** The cleaning steps for one column, innermost first. */
function cleanExpression(column: string, p: Params): string {
  let x = ident(column);
  if (p.normalize_unicode) x = `nfc_normalize(${x})`;
  if (p.strip_control) x = `regexp_replace(${x}, ${stringLiteral(CONTROL)}, '', 'g')`;
  if (p.collapse_whitespace) {
    x = `regexp_replace(${x}, ${stringLiteral(COLLAPSIBLE)}, ' ', 'g')`;
    // Whitespace runs are single spaces now.
    if (p.trim) x = `trim(${x})`;
  } else if (p.trim) {
    x = trimWhitespaceSql(x);
  }
  if (p.remove_accents) x = `strip_accents(${x})`;
  if (p.case === 'lower') x = `lower(${x})`;
  if (p.case === 'upper') x = `upper(${x})`;
  if (p.case === 'title') x = `array_to_string(list_transform(string_split(lower(${x}), ' '), lambda caudal_word: upper(caudal_word[1]) || caudal_word[2:]), ' ')`;
  if (p.empty_to_null) x = `nullif(${x}, '')`;
  return x;
}

export const cleanTextNode = defineNode({
  type: 'transform.clean_text',
  version: 1,
  spark: cleanTextSpark,
  category: 'transform',
  rowOrder: 'follows',
  title: 'Clean text',
  description: 'Trims, collapses whitespace, changes case, normalizes Unicode, removes control characters or accents, and turns empty text into NULL.',
  aliases: ['trim', 'normalize text', 'lowercase', 'uppercase', 'title case', 'strip accents', 'whitespace', 'tidy strings'],
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out', description: 'The input columns, cleaned text columns in place.' }],
  params,
  docs: `Cleans the chosen text columns in place; other columns, the column order and the types do not
change. With no columns chosen, every VARCHAR column is cleaned. Choosing a column that is not text
(a number, a date, a list) is an error before the run: convert it first with Cast or Derive.

The steps run in this order, each only when turned on:

1. **Normalize Unicode (NFC)** (\`nfc_normalize\`): "e" + combining accent becomes "é".
2. **Remove control characters**: C0 controls other than tab and the line breaks (line feed, vertical
   tab, form feed, carriage return), DEL, C1 controls (U+0080–U+009F) other than the line break
   U+0085 (next line), zero-width space (U+200B) and byte-order marks (U+FEFF). Tabs and line breaks
   stay, for the whitespace steps: a word on either side of one is never glued to the other.
3. **Collapse whitespace**: each run of whitespace (spaces, tabs, line breaks, vertical tab,
   form feed, U+0085, no-break and other Unicode spaces, line/paragraph separators) becomes one space.
4. **Trim**: the same whitespace is removed at both ends.
5. **Remove accents** (\`strip_accents\`): "Zoë" → "Zoe", "Muñoz" → "Munoz". Only letters that decompose
   into a base letter and marks change; "ø", "ß", "Ł", "æ" stay.
6. **Case**: \`lower\`, \`upper\` (Unicode-aware: "é" ↔ "É") or \`title\`: the first character of each
   space-separated word upper case, the rest lower case. Words after a hyphen or apostrophe are not
   capitalized ("jean-luc o'neil" → "Jean-luc O'neil").
7. **Empty text to NULL**: a value that is empty after the steps above becomes NULL.

NULL stays NULL. Defaults: trim, collapse whitespace and empty text to NULL on; the rest off.
No warnings or metrics.`,
  example: {
    description: 'Tidy every text column and lower-case the status',
    params: { columns: ['status', 'channel'], trim: true, collapse_whitespace: true, case: 'lower', empty_to_null: true },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    for (const i of duplicateIndexes(p.columns)) out.push({ path: `columns[${i}]`, message: `column '${p.columns[i]}' is listed twice` });
    const anything = p.trim || p.collapse_whitespace || p.case !== 'keep' || p.normalize_unicode || p.strip_control || p.remove_accents || p.empty_to_null;
    if (!anything) out.push({ path: 'trim', message: 'every cleaning step is off, so the node changes nothing', hint: 'turn on at least one step, e.g. trim' });
    return out;
  },
  compile(ctx) {
    const p = ctx.params;
    const input = ctx.input();
    const targets =
      p.columns.length > 0
        ? p.columns.map((name, i) => {
            const col = findColumn(ctx.nodeId, input, name, `columns[${i}]`);
            if (col.type !== 'VARCHAR')
              throw paramError(
                ctx.nodeId,
                `columns[${i}]`,
                `node '${ctx.nodeId}': column '${col.name}' is ${col.type}, not text; Clean text only changes VARCHAR columns`,
                'remove it from the list, or convert it to text first (transform.cast or transform.derive)',
                col.name,
              );
            return col;
          })
        : input.columns.filter((c) => c.type === 'VARCHAR');
    if (targets.length === 0) return { outputs: { out: `SELECT *\nFROM ${input.ref}` } };
    const replaces = targets.map((c) => `${cleanExpression(c.name, p)} AS ${ident(c.name)}`);
    return { outputs: { out: `SELECT * REPLACE (\n  ${replaces.join(',\n  ')}\n)\nFROM ${input.ref}` } };
  },
});
