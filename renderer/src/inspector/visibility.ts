/**
 * Which settings apply: an aggregation's "Percentile" matters for `percentile` only, "Separator"
 * for `string_agg` only. A param may say so explicitly in its metadata
 * (`.meta({ visibleWhen: { key: 'function', values: ['percentile'] } })` or `{ port: 'mapping' }`),
 * which always wins. Otherwise the condition is read from the help text, in a fixed style the
 * reference docs use too ("For percentile: …", "string_agg only.", "lag/lead: …", "moving_*: …",
 * "With unmapped "value".", "With the `mapping` input connected: …"), and only where it is
 * unambiguous: a clause that opens with one of the field's own values ("`auto`: UTF-16 when …")
 * describes that value, never a sibling's. Every condition the catalogue derives is listed in
 * form-model.test.ts, so a misread one fails a test instead of hiding a field.
 * A field that holds a value is always shown, so nothing in the file is ever hidden.
 */
import type { FieldModel } from './form-model.js';

export type Condition = { key: string; values: string[] } | { port: string };

// Clauses end at `.` `:` and `;`: "offset: the total of records; page_number: of pages." names two values.
const SENTENCE = /(?<=[.:;])\s+(?=[`A-Za-z_])/;
const LEAD = /^(?:For\s+)?((?:`?[\w*]+`?)(?:\s*(?:\/|,|\bor\b|\band\b)\s*`?[\w*]+`?)*)\s*(?::|\s+only\b)/;

function matches(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

function selectValues(f: FieldModel): string[] {
  return f.kind === 'select' ? (f.optionValues ?? f.options ?? []).filter((v): v is string => typeof v === 'string') : [];
}

/** The condition a help text states, read against the sibling fields it can refer to. */
export function conditionFromHelp(help: string, siblings: FieldModel[], self?: FieldModel): Condition | undefined {
  const port = /^With the `?(\w+)`? input connected\b/.exec(help);
  if (port) return { port: port[1]! };
  const withValue = /^With (\w+) "([^"]+)"/.exec(help);
  if (withValue) {
    const sib = siblings.find((f) => f.key === withValue[1] && selectValues(f).includes(withValue[2]!));
    if (sib) return { key: sib.key, values: [withValue[2]!] };
  }
  let key: string | undefined;
  const values = new Set<string>();
  // Each sentence or clause may open with the values it is about: "first/last: … string_agg: …".
  for (const sentence of help.split(SENTENCE)) {
    const lead = LEAD.exec(sentence);
    if (!lead) continue;
    const tokens = lead[1]!.split(/\s*(?:\/|,|\bor\b|\band\b)\s*/).map((t) => t.replace(/`/g, '').trim()).filter(Boolean);
    // "`auto`: …" on a field that has an `auto` choice explains that choice: it is no condition.
    if (self && tokens.some((t) => selectValues(self).some((v) => matches(t, v)))) continue;
    const sib = siblings.find((f) => (key === undefined || f.key === key) && tokens.every((t) => selectValues(f).some((v) => matches(t, v))));
    if (!sib) continue;
    key = sib.key;
    for (const t of tokens) for (const v of selectValues(sib)) if (matches(t, v)) values.add(v);
  }
  return key ? { key, values: [...values] } : undefined;
}

/** A condition stated in a param's metadata (`visibleWhen`), if it is well formed. */
export function explicitCondition(meta: unknown): Condition | undefined {
  if (!meta || typeof meta !== 'object') return undefined;
  const m = meta as Record<string, unknown>;
  if (typeof m.port === 'string') return { port: m.port };
  if (typeof m.key === 'string' && Array.isArray(m.values) && m.values.every((v) => typeof v === 'string')) return { key: m.key, values: m.values as string[] };
  return undefined;
}

/**
 * Whether a field shows, given its siblings' values (defaults apply) and the node's connected input
 * ports. `siblingFields` must hold every field of the object, not only those of one form group:
 * the default of a setting in another group decides as well.
 */
export function isVisible(field: FieldModel, value: unknown, siblings: Record<string, unknown>, siblingFields: FieldModel[], connectedPorts: ReadonlySet<string>): boolean {
  const when = field.visibleWhen;
  if (!when) return true;
  if (value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0)) return true;
  if ('port' in when) return connectedPorts.has(when.port);
  const sib = siblingFields.find((f) => f.key === when.key);
  const current = siblings[when.key] ?? sib?.default;
  return typeof current === 'string' && when.values.includes(current);
}
