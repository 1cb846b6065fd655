import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { migrate } from './migrations/index.js';
import { describeDuplicate, duplicateKeys, jsonSyntaxError, roundedNumbers } from './json-syntax.js';
import { CURRENT_FORMAT, pipelineSchema, type Pipeline } from './schema.js';
import { CaudalError, type Problem } from '../util/errors.js';
import { inputShapeProblem } from '../util/input-shape.js';

export interface LoadResult {
  pipeline?: Pipeline;
  problems: Problem[];
  migrationsApplied: string[];
}

/** JSON path from zod's issue path: nodes[2].params.x */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(document)' : out;
}

/**
 * Zod keeps the value an issue is about (`input`) only when parsing with `reportInput: true`;
 * without it `input` is absent, which must not read as a missing field. The value itself never
 * goes into a problem (it could be a secret): only whether it was there.
 */
function hintFor(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code === 'unrecognized_keys') return `remove ${issue.keys.map((k) => `"${k}"`).join(', ')} or check the spelling`;
  if (issue.code === 'invalid_type' && 'input' in issue && issue.input === undefined) return 'this field is required';
  return undefined;
}

/** Parse options under which zodProblems can tell a missing field from a wrong value (see hintFor). */
export const REPORT_MISSING = { reportInput: true } as const;

export function zodProblems(error: z.ZodError, prefix: readonly PropertyKey[] = [], code: Problem['code'] = 'invalid_document'): Problem[] {
  return error.issues.map((issue) => ({
    code,
    path: jsonPath([...prefix, ...issue.path]),
    message: issue.message,
    hint: hintFor(issue),
  }));
}

/** What every "this is not a pipeline" error says; it never quotes the file. */
export const NOT_A_PIPELINE = `not a Caudal pipeline (expected a JSON object with format ${CURRENT_FORMAT})`;

/** A pipeline file with a syntax error still names its format; anything else is some other file. */
const NAMES_A_PIPELINE_FORMAT = /"format"\s*:\s*"caudal\.pipeline\//;

/**
 * Parses text into a pipeline: JSON syntax, format migrations, then the document schema. A UTF-8
 * byte order mark (Windows editors write one) is skipped. Errors give positions, never the text.
 */
export function parsePipelineText(text: string, source = 'pipeline'): LoadResult {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    const conflict = mergeConflictLine(body);
    if (conflict !== undefined)
      return {
        problems: [{ code: 'invalid_json', path: '(document)', message: `${source} has an unresolved merge conflict (a conflict marker at line ${conflict})`, hint: 'resolve the conflict in git (keep one side or combine them, and remove the <<<<<<<, ======= and >>>>>>> lines), then open it again' }],
        migrationsApplied: [],
      };
    const at = jsonSyntaxError(body);
    const where = at ? ` at line ${at.line}, column ${at.column}` : '';
    const message = NAMES_A_PIPELINE_FORMAT.test(body) ? `${source} is not valid JSON${where}${at ? `: ${at.reason}` : ''}` : `${source} is ${NOT_A_PIPELINE}: it is not JSON${where}`;
    return { problems: [{ code: 'invalid_json', path: '(document)', message, hint: 'check for a missing comma or quote near that spot' }], migrationsApplied: [] };
  }
  // Before anything that recurses over the document (the duplicate-key scan, the schema): a file
  // nested absurdly deep would end in a stack overflow, and a `__proto__` key would be dropped.
  const shape = inputShapeProblem(raw);
  if (shape) {
    const where = jsonPath(shape.path);
    return { problems: [{ code: 'invalid_document', path: where, message: `${source}: ${where} ${shape.message}`, hint: 'fix the file in a text editor' }], migrationsApplied: [] };
  }
  const repeated = duplicateKeyProblems(body, source);
  if (repeated.length > 0) return { problems: repeated, migrationsApplied: [] };
  const rounded = roundedNumberProblems(body, source);
  if (rounded.length > 0) return { problems: rounded, migrationsApplied: [] };
  return parsePipelineObject(raw, source);
}

/** The line of the first git conflict marker (`<<<<<<< ours`, `=======`, `>>>>>>> theirs`), if any. */
function mergeConflictLine(text: string): number | undefined {
  const m = /^(?:<{7}|={7}|>{7})(?: |\r?$)/m.exec(text);
  return m ? text.slice(0, m.index).split('\n').length : undefined;
}

/** A key written twice in one object (JSON.parse would keep the last silently), as problems at the key. */
export function duplicateKeyProblems(text: string, source: string): Problem[] {
  return duplicateKeys(text).map((d) => ({
    code: 'invalid_json',
    path: jsonPath([...d.objectPath, d.key]),
    message: `${source}: ${describeDuplicate(d, jsonPath)}`,
    hint: 'keep the one you mean and remove the other (a merge often leaves both)',
  }));
}

/** Numbers JSON.parse has already changed: any use of them (a filter value, a query param, a default) would get another number. */
function roundedNumberProblems(text: string, source: string): Problem[] {
  return roundedNumbers(text).map((n) => ({
    code: 'invalid_json',
    path: jsonPath(n.path),
    message: `${source}: ${jsonPath(n.path)} is ${n.written} (line ${n.line}), ${Number.isFinite(n.read) ? `an integer beyond 2^53, which a JSON number cannot hold: it would be read as ${BigInt(n.read)}` : 'beyond the range of a JSON number: it would be read as infinity'}`,
    hint: `write it as a string ("${n.written}"): a node that takes a number converts a string with its exact digits`,
  }));
}

/** A later version's format needs a newer Caudal (rewriting it as this one's would mislead); an unknown one, the current. */
function formatHint(format: string): string {
  const version = Number(/^caudal\.pipeline\/(\d+)$/.exec(format)?.[1]);
  const current = Number(/(\d+)$/.exec(CURRENT_FORMAT)?.[1]);
  return Number.isInteger(version) && version > current
    ? `the file was written by a newer Caudal (format ${format}): open it with that version, or update Caudal`
    : `set "format": "${CURRENT_FORMAT}"`;
}

export function parsePipelineObject(raw: unknown, source = 'the document'): LoadResult {
  const notAPipeline = (why: string, code: Problem['code'] = 'invalid_document'): LoadResult => ({
    problems: [{ code, path: code === 'unsupported_format' ? 'format' : '(document)', message: `${source} is ${NOT_A_PIPELINE}: ${why}` }],
    migrationsApplied: [],
  });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return notAPipeline(`it is JSON ${Array.isArray(raw) ? 'array' : raw === null ? 'null' : `${typeof raw}`}, not an object`);
  const format = (raw as { format?: unknown }).format;
  // Only a Caudal format is worth naming back; any other value is the file's content.
  if (format === undefined) return notAPipeline('it has no "format" field', 'unsupported_format');
  if (typeof format !== 'string' || !format.startsWith('caudal.pipeline/')) return notAPipeline('its "format" is something else', 'unsupported_format');
  let migrated: Record<string, unknown>;
  let applied: string[];
  try {
    ({ doc: migrated, applied } = migrate(raw as Record<string, unknown>));
  } catch (e) {
    return {
      problems: [{ code: 'unsupported_format', path: 'format', message: (e as Error).message, hint: formatHint(format) }],
      migrationsApplied: [],
    };
  }
  const parsed = pipelineSchema.safeParse(migrated, REPORT_MISSING);
  if (!parsed.success) return { problems: zodProblems(parsed.error), migrationsApplied: applied };
  return { pipeline: parsed.data, problems: [], migrationsApplied: applied };
}

export async function loadPipelineFile(file: string): Promise<LoadResult & { text: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new CaudalError('io', `cannot read pipeline ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const decoded = decodePipelineBytes(bytes, file);
  if ('problem' in decoded) return { problems: [decoded.problem], migrationsApplied: [], text: bytes.toString('utf8') };
  return { ...parsePipelineText(decoded.text, file), text: decoded.text };
}

/**
 * A pipeline file is UTF-8. Read another way, a UTF-16 file (Windows editors' "Unicode") was "not
 * JSON at line 1", and a Latin-1 one loaded with its accented letters turned into U+FFFD, written
 * back so on the next save.
 */
function decodePipelineBytes(bytes: Buffer, source: string): { text: string } | { problem: Problem } {
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || asciiAsUtf16(bytes.subarray(0, 64));
  const hint = 'save it as UTF-8 in your editor (an "encoding" or "Save with encoding" choice), then open it again';
  if (utf16) return { problem: { code: 'invalid_json', path: '(document)', message: `${source} is UTF-16 text, not UTF-8`, hint } };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, at).toString('latin1').split('\n').length;
    const byte = bytes[at]!.toString(16).toUpperCase().padStart(2, '0');
    return { problem: { code: 'invalid_json', path: '(document)', message: `${source} is not UTF-8: byte 0x${byte} on line ${line} is no UTF-8 character (a file saved as Latin-1 or Windows-1252?)`, hint } };
  }
}

/** ASCII text written as UTF-16 without a byte-order mark: every other byte is 0, on one side only. */
function asciiAsUtf16(head: Buffer): boolean {
  if (head.length < 8) return false;
  const zeros = [0, 1].map((side) => head.filter((b, i) => i % 2 === side && b === 0).length);
  return Math.max(zeros[0]!, zeros[1]!) >= head.length / 2 - 1 && Math.min(zeros[0]!, zeros[1]!) === 0;
}

/** Where the first byte sequence that is not UTF-8 starts. */
function firstInvalidUtf8(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // Halving over prefixes: a prefix that decodes ends before it (a cut character at the end of a
  // prefix also fails, so the search lands on that character's first byte at worst).
  let lo = 0;
  let hi = bytes.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    try {
      decoder.decode(bytes.subarray(0, mid));
      lo = mid;
    } catch {
      hi = mid;
    }
  }
  return lo;
}
