import { stat } from 'node:fs/promises';
import { ident } from '../../compiler/sql.js';
import type { Column, CompileContext } from '../define.js';
import { CaudalError } from '../../util/errors.js';
import { closest } from '../../util/suggest.js';
import { structFields } from '../shared/flatten.js';
import { jsonStart } from './layout.js';
import { fileLiteral } from '../shared/exact-file.js';

/** The column the records travel in between the two UNNESTs. */
const RECORD = '__caudal_record';

/**
 * Records held in a list inside each file's one object (`{"data": [...], "meta": {...}}`, the
 * usual API dump): `path` (`data`, or `result.items` for a deeper list) names the list, and each of
 * its objects becomes a row, its keys the columns. `topLevel` are the columns DuckDB reads from the
 * files as they are; `carried` (the file name column, hive partition columns) stay on every row.
 */
export function recordsSelect(nodeId: string, path: string, topLevel: Column[], carried: string[], from: string): string {
  const parts = path.replace(/^\$\./, '').split('.');
  let type = topLevel.find((c) => c.name === parts[0])?.type;
  if (type === undefined) throw wrongPath(nodeId, path, `the files have no key "${parts[0]}" at the top level`, topLevel.map((c) => c.name), parts[0]!);
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    const fields = structFields(type);
    const next = fields?.find((f) => f.name === part);
    if (!next) throw wrongPath(nodeId, path, `"${part}" is not a key of the object at "${parts.slice(0, i).join('.')}"`, fields?.map((f) => f.name) ?? [], part);
    type = next.type;
  }
  if (!/^STRUCT\(.*\)\[\]$/s.test(type)) {
    throw new CaudalError('validation', `node '${nodeId}': records_path "${path}" holds ${type}, not a list of objects (records)`, {
      nodeId,
      hint: 'name the key whose value is the list of records, e.g. data in {"data": [{...}, {...}]}',
    });
  }
  const list = parts.map((p) => ident(p)).join('.');
  const keep = carried.map((c) => `, ${ident(c)}`).join('');
  // A null entry of the list holds no record: it would become a row of NULLs the file does not have.
  return `(SELECT UNNEST(${ident(RECORD)})${keep} FROM (SELECT UNNEST(${list}) AS ${ident(RECORD)}${keep} FROM ${from}) WHERE ${ident(RECORD)} IS NOT NULL)`;
}

function wrongPath(nodeId: string, path: string, why: string, keys: string[], given: string): CaudalError {
  const suggestion = closest(given, keys);
  return new CaudalError('validation', `node '${nodeId}': records_path "${path}": ${why}${keys.length > 0 ? ` (keys there: ${keys.slice(0, 12).join(', ')})` : ''}`, {
    nodeId,
    hint: suggestion ? `did you mean "${suggestion}"?` : 'name the key whose value is the list of records, with dots for deeper ones (result.items)',
  });
}

/**
 * A file that is one object holding its records in a list reads as one row, which is rarely what
 * is meant: when the first file gives a single row with lists of objects in it, say which key
 * records_path could name. Two rows at most are read to tell, so a file of many records costs little; a file over
 * 64 MB is not looked at.
 */
export async function wrappedRecordsWarning(ctx: Pick<CompileContext<unknown>, 'rows' | 'warn' | 'nodeId'>, first: string, columns: () => Promise<Column[]>): Promise<void> {
  // Only files that start as an object, small enough to read twice (planning, then the run).
  if ((await jsonStart(first))?.first !== '{' || ((await stat(first).catch(() => undefined))?.size ?? Infinity) > 64 * 1024 * 1024) return;
  const lists = (await columns()).filter((c) => /^STRUCT\(.*\)\[\]$/s.test(c.type)).map((c) => c.name);
  if (lists.length === 0) return;
  const rows = await ctx.rows(`SELECT 1 AS one FROM read_json(${fileLiteral(first)}) LIMIT 2`);
  if (rows.length !== 1) return;
  const keys = lists.map((k) => `"${k}"`).join(' or ');
  ctx.warn(`node '${ctx.nodeId}': ${first} is one object whose ${keys} ${lists.length === 1 ? 'holds a list' : 'hold lists'} of objects: it is read as one row; set records_path to ${lists.length === 1 ? `"${lists[0]}"` : 'one of them'} to read each object of the list as a row`);
}
