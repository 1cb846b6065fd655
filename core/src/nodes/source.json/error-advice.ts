import type { CompiledNode } from '../define.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { malformedJsonAt } from '../../compiler/duckdb-errors.js';
import { malformedLines } from './malformed-lines.js';

/** What the node reads with: how many records detection samples, and whether the columns are listed. */
export interface ReadSetup {
  pattern: string;
  sampleSize: number | undefined;
  listed: boolean;
  /** Whether a top-level column is a STRUCT, which a non-object value past the sample does not fit either. */
  hasStruct: boolean;
  /** The layout read_json is given (undefined: detected), which decides what DuckDB counts as a record. */
  format: string | undefined;
}

const DUPLICATE = /has duplicate key "([^"]*)"/;
const NOT_OBJECT = /Expected OBJECT, but got ([A-Z]+)/;

/**
 * What to change when DuckDB's JSON reader stops on a record: DuckDB's own advice names options
 * this node does not have (records, ignore_errors, union_by_name). The advice must not lead to a
 * silent misread: every record sampled (-1) turns a file holding an array among its records into
 * one column "json" without an error, and a duplicate key is the data's, whatever is sampled.
 */
export function jsonErrorAdvice(setup: ReadSetup): NonNullable<CompiledNode['explainError']> {
  const ours = (file: string) => file === setup.pattern || /[*?[{]/.test(setup.pattern);
  return async (message, io) => {
    // A record DuckDB cannot parse: the message names it by number (duckdb-errors.ts), the line is found here.
    const malformed = malformedJsonAt(message);
    if (malformed) return ours(malformed.file) ? malformedLines(message, setup.format, io) : undefined;
    const m = /JSON transform error in file "([^"]*)", in line \d+/.exec(message);
    if (!m || !ours(m[1]!)) return undefined;
    const duplicate = DUPLICATE.exec(message)?.[1];
    if (duplicate !== undefined)
      return `key "${duplicate}" appears twice in one record, and which value is meant cannot be told: have the file written with each key once`;
    const typeAdvice = setup.listed ? listedAdvice() : detectedAdvice(message, setup.sampleSize);
    const got = NOT_OBJECT.exec(message)?.[1];
    if (got !== undefined) {
      const record = 'a record that is not an object cannot be a row: remove it from the file, or have the file written with objects only';
      return setup.hasStruct ? `${record}; or else a key read as a STRUCT holds a ${got} there, and ${typeAdvice}` : record;
    }
    return typeAdvice;
  };
}

function listedAdvice(): string {
  return 'the value does not fit the types listed under columns: correct the type of its key there (VARCHAR reads any value, an object or a list as its JSON text)';
}

function detectedAdvice(message: string, sampleSize: number | undefined): string {
  if (sampleSize === -1) return 'every record was sampled: list the keys and their types under columns to read the file anyway';
  const sampled = `the first ${(sampleSize ?? 20_480).toLocaleString('en-US')} records`;
  const key = /has unknown key "([^"]*)"/.exec(message)?.[1];
  const what = key !== undefined ? `key "${key}" is not in ${sampled}, where the columns were detected` : `the types of the columns were detected from ${sampled}`;
  return `${what}: set sample_size to -1 to read every record first, or list the keys with their types under columns`;
}

/**
 * DuckDB's own message for an object with two keys that differ only in letter case below the top
 * level names an option this node does not have (ignore_errors) and no file.
 */
export function explainCaseTwins(e: unknown, nodeId: string, file: string): unknown {
  const key = /Duplicate name "([^"]*)" in struct auto-detected in JSON/.exec(errorMessage(e))?.[1];
  if (key === undefined) return e;
  return new CaudalError('validation', `node '${nodeId}': an object in ${file} has two keys that differ only in letter case ("${key}" in two spellings, inside a nested object): column and field names ignore case, so they cannot be told apart`, {
    nodeId,
    hint: 'set maximum_depth (e.g. 1) to read the nested objects as JSON text, or list the top-level key under columns with type JSON, then pick the fields out with json_extract',
  });
}

/** DuckDB's words for a file whose compression (by its name) does not match its bytes, naming the file. */
const NOT_COMPRESSED = /(?:Input is not a GZIP stream|Unknown frame descriptor|ZSTD[^:]*): (\S+)/;

/**
 * A file named .gz (or .zst) whose bytes are not that compression: DuckDB's IO Error came with the
 * compiler's hint about relative paths, which is not what is wrong. Anything else comes back as it was.
 */
export function explainNotCompressed(e: unknown, nodeId: string): unknown {
  const raw = errorMessage(e);
  const file = NOT_COMPRESSED.exec(raw)?.[1];
  if (file === undefined || e instanceof CaudalError) return e;
  const message = `node '${nodeId}': cannot read ${file}: its name says it is compressed, but its bytes are not what that compression writes (or it is cut off) (${raw.split('\n')[0]})`;
  const hint = 'rename the file without the compression ending if it holds plain JSON, or replace it with the complete compressed file';
  return new CaudalError('validation', message, { nodeId, hint, cause: e, problems: [{ code: 'io_error', path: 'params.path', message, hint }] });
}
