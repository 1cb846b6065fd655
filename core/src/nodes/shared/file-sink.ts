import { lstat, mkdir, readdir, readlink, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { identList, literal, stringLiteral, type SqlValue } from '../../compiler/sql.js';
import type { Column, SinkContext, SinkPlan } from '../define.js';
import type { Problem } from '../../util/errors.js';
import { ownerIsDead } from '../../util/owner.js';
import { didYouMean } from '../../util/suggest.js';
import { parseStagingName, stagingBelongsTo, stagingPath } from './staging-names.js';
import { checkPartitionFolders } from './partition-folders.js';
import { columnNamed } from './columns.js';
import { caudalOwnTargetProblem } from './caudal-files.js';

/**
 * What the file sinks (CSV, Parquet, JSON) share: the `path` / `if_exists` params, the destination
 * checks that run before anything is read, and the plan "COPY to a hidden temp name next to the
 * target; the engine's commit protocol renames it into place (the old file kept aside until every
 * destination committed), or deletes it".
 */

export const pathParam = (placeholder: string) =>
  z
    .string()
    .min(1)
    .meta({
      label: 'File',
      help: 'Where to write. Relative paths resolve against the pipeline file\'s folder; ${param} inserts a pipeline param (e.g. exports/orders_${run_date}.csv). Missing folders are created.',
      widget: 'path',
      placeholder,
    });

export const ifExistsParam = z
  .enum(['fail', 'overwrite'])
  .default('fail')
  .meta({
    label: 'If the file exists',
    help: '"fail" stops the run before reading anything; "overwrite" replaces the file only after every sink of the run has been written.',
    widget: 'select',
  });

export interface FileSinkParams {
  path: string;
  if_exists: 'fail' | 'overwrite';
}

export interface FileSinkSpec {
  /** How messages name what is written, e.g. "CSV file". */
  noun: string;
  /** COPY options in order; keys are DuckDB option keywords, values become literals; undefined is skipped. */
  options: Record<string, SqlValue | undefined>;
  /** Hive partition columns: the target becomes a folder of files. */
  partitionBy?: string[];
  /** Problems the node already found in its own params; they stop the run like the destination checks. */
  problems?: Problem[];
  /** The SELECT list written instead of `*` (e.g. values checked for the format). */
  select?: string;
  /** The query reading the staged file back (SinkPlan.readBack), when the format keeps the input as it is; not used with partitionBy. */
  readBack?: (file: string) => string;
}

/** DuckDB picks compression from the file name, but it sees the temp name: say it explicitly. */
export function compressionFor(file: string): 'gzip' | 'zstd' | 'none' {
  const lower = file.toLowerCase();
  if (lower.endsWith('.gz')) return 'gzip';
  if (lower.endsWith('.zst')) return 'zstd';
  return 'none';
}

async function kindOf(p: string): Promise<'file' | 'folder' | undefined> {
  try {
    const s = await lstat(p);
    if (!s.isSymbolicLink()) return s.isDirectory() ? 'folder' : 'file';
    // A link to a folder is a folder for the user; a dangling link still occupies the name.
    return (await stat(p).catch(() => undefined))?.isDirectory() ? 'folder' : 'file';
  } catch {
    return undefined;
  }
}

/**
 * The path the file system means by `p`: the real path (symlinks followed) of its nearest existing
 * folder, then the rest as written. Two spellings of one file (`o.csv`, `link-to-here/o.csv`) give
 * the same string, so they are one destination, one lock and one set of staging names.
 */
export async function canonicalPath(p: string): Promise<string> {
  const rest: string[] = [];
  for (let cur = path.resolve(p); ; cur = path.dirname(cur)) {
    const real = await realpath(cur).catch(() => undefined);
    if (real !== undefined) return path.join(real, ...rest.reverse());
    if (path.dirname(cur) === cur) return path.resolve(p);
    rest.push(path.basename(cur));
  }
}

/** What is at a sink's target itself, links not followed. */
export async function targetKind(p: string): Promise<'file' | 'folder' | 'link' | 'fifo' | 'device' | 'socket' | undefined> {
  const s = await lstat(p).catch(() => undefined);
  if (!s) return undefined;
  if (s.isSymbolicLink()) return 'link';
  if (s.isDirectory()) return 'folder';
  if (s.isFIFO()) return 'fifo';
  if (s.isSocket()) return 'socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'device';
  return 'file';
}

/** A target kind no sink writes to (targetKind): the sink refuses it before the run. */
export type UnwritableKind = 'link' | 'fifo' | 'device' | 'socket';

export const isUnwritable = (kind: string | undefined): kind is UnwritableKind => kind === 'link' || kind === 'fifo' || kind === 'device' || kind === 'socket';

/** How a sink would go wrong writing through a link or into a pipe or device, for its refusal. */
export interface UnwritableWhy {
  /** The param holding the target, e.g. "path". */
  field: string;
  /** After "the sink would", for a symbolic link. */
  link: string;
  /** After "not a regular file;", for a pipe, a device or a socket. */
  special: string;
  hint: string;
}

/**
 * A file sink replaces its target by renaming a new file over it: a symlink, a pipe, a device or a
 * socket at that path would be replaced by a regular file (as root, `/dev/null` itself). Refused.
 */
const FILE_SINK_WHY: UnwritableWhy = {
  field: 'path',
  link: 'replace the link itself with a new file, not write to what it points to',
  special: 'the sink writes a new file and renames it into place, which would replace it',
  hint: 'write to a regular file (a sink cannot stream into a pipe or a device), then copy it from there',
};

/** The refusal of a target that is a link, a pipe, a device or a socket, saying what would go wrong and what to write to instead. */
export async function unwritableTarget(nodeId: string, target: string, kind: UnwritableKind, why: UnwritableWhy = FILE_SINK_WHY): Promise<Problem> {
  if (kind === 'link') {
    const to = await readlink(target).catch(() => '?');
    const real = await realpath(target).catch(() => undefined);
    return {
      code: 'destination_exists',
      path: `params.${why.field}`,
      nodeId,
      message: `node '${nodeId}': ${target} is a symbolic link (to ${to}); the sink would ${why.link}`,
      hint: real ? `write to the link's target instead: set the ${why.field} to ${real}` : 'the link points nowhere: remove it or choose another path',
    };
  }
  const what = kind === 'fifo' ? 'a named pipe (FIFO)' : kind === 'socket' ? 'a socket' : 'a device';
  return {
    code: 'destination_exists',
    path: `params.${why.field}`,
    nodeId,
    message: `node '${nodeId}': ${target} is ${what}, not a regular file; ${why.special}`,
    hint: why.hint,
  };
}

/**
 * Checks the parent folder. When running, creates missing folders here, in sink(): the COPY of the
 * stage step would otherwise fail with a bare "cannot open file". The folders created are returned
 * so the engine removes them again (when still empty) if the run does not commit.
 */
export async function ensureParentFolder<P>(ctx: SinkContext<P>, file: string, field: string): Promise<{ problem?: Problem; created: string[] }> {
  const parent = path.dirname(file);
  let existing = parent;
  while ((await kindOf(existing)) === undefined && path.dirname(existing) !== existing) existing = path.dirname(existing);
  if ((await kindOf(existing)) === 'file') {
    return {
      created: [],
      problem: {
        code: 'io_error',
        path: 'params.path',
        nodeId: ctx.nodeId,
        message: `node '${ctx.nodeId}': cannot write ${file}: ${existing} is a file, not a folder`,
        hint: `check the ${field} param`,
      },
    };
  }
  if (existing === parent || ctx.mode !== 'run') return { created: [] };
  const created: string[] = [];
  for (let dir = parent; dir !== existing; dir = path.dirname(dir)) created.push(dir);
  try {
    await mkdir(parent, { recursive: true });
  } catch (e) {
    return {
      created: [],
      problem: {
        code: 'io_error',
        path: 'params.path',
        nodeId: ctx.nodeId,
        message: `node '${ctx.nodeId}': cannot create folder ${parent}: ${(e as Error).message}`,
        hint: 'create the folder yourself or choose a path you can write to',
      },
    };
  }
  return { created };
}

/**
 * Removes what killed runs left next to `target`: temp files (`.tmp`) whose owner process is gone.
 * A replaced target kept aside (`.old`) by a run that died while committing is left to the commit
 * journal's recovery (core/src/engine/commit/recover.ts), which knows whether to restore it.
 */
export async function sweepDeadStaging(target: string): Promise<string[]> {
  const dir = path.dirname(target);
  const base = path.basename(target);
  const removed: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const entry = parseStagingName(name);
    if (!entry || entry.role !== 'tmp' || !stagingBelongsTo(entry, base) || !ownerIsDead(entry.owner)) continue;
    await rm(path.join(dir, name), { recursive: true, force: true });
    removed.push(path.join(dir, name));
  }
  return removed;
}

/** Resolves partition columns against the input (as DuckDB does: see columnNamed) or reports them. */
export function resolvePartitionColumns(nodeId: string, wanted: string[], columns: Column[]): { names: string[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const names: string[] = [];
  const available = columns.map((c) => c.name);
  for (const w of wanted) {
    const hit = columnNamed(columns, w)?.name;
    if (hit !== undefined) names.push(hit);
    else
      problems.push({
        code: 'unknown_column',
        path: 'params.path',
        nodeId,
        column: w,
        message: `node '${nodeId}': partition column '${w}' is not in the input${didYouMean(w, available)}`,
        hint: `input columns: ${available.join(', ')}`,
      });
  }
  if (problems.length === 0 && names.length >= columns.length) {
    problems.push({
      code: 'invalid_param',
      path: 'params.path',
      nodeId,
      message: `node '${nodeId}': partition_by lists every input column, which leaves nothing to write inside the files`,
      hint: 'partition by fewer columns (partition values are kept in the folder names)',
    });
  }
  return { names, problems };
}

function copyOptions(spec: FileSinkSpec): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(spec.options)) {
    // Keys come from node code, never from users; the check keeps it that way.
    if (!/^[A-Z_]+$/.test(key)) throw new Error(`not a COPY option keyword: ${key}`);
    if (value !== undefined) parts.push(`${key} ${literal(value)}`);
  }
  if (spec.partitionBy && spec.partitionBy.length > 0) parts.push(`PARTITION_BY (${identList(spec.partitionBy)})`);
  return parts.join(', ');
}

/**
 * The plan every file sink follows. Preflight: the destination must be free (or if_exists =
 * overwrite) and of the right kind. Stage: one COPY into the temp name (COPY reports the row
 * count). Publish: the engine renames it into place (commit/), or removes it.
 */
export async function fileSinkPlan<P extends FileSinkParams>(ctx: SinkContext<P>, spec: FileSinkSpec): Promise<SinkPlan> {
  const target = ctx.path(ctx.params.path);
  // Staging names, the lock and the duplicate check use the real path: two sinks reaching one file
  // through a symlinked folder would otherwise share staging names and undo each other's publish.
  const real = await canonicalPath(target);
  const temp = stagingPath(real, ctx.runId, 'tmp');
  const folder = (spec.partitionBy?.length ?? 0) > 0;
  const preflight: Problem[] = [...(spec.problems ?? [])];
  let createdFolders: string[] = [];

  const kind = await targetKind(target);
  const existing = isUnwritable(kind) ? undefined : kind;
  // `.` resolves to the pipeline file's folder, as every relative path does.
  const own = isUnwritable(kind)
    ? undefined
    : await caudalOwnTargetProblem({ nodeId: ctx.nodeId, param: 'path', written: ctx.params.path, real, kind: existing }, { baseDir: await canonicalPath(ctx.path('.')), pipelineName: ctx.pipelineName });
  if (own) {
    preflight.push(own);
  } else if (isUnwritable(kind)) {
    preflight.push(await unwritableTarget(ctx.nodeId, target, kind));
  } else if (existing === 'folder' && !folder) {
    preflight.push({
      code: 'destination_exists',
      path: 'params.path',
      nodeId: ctx.nodeId,
      message: `node '${ctx.nodeId}': ${target} is a folder; this sink writes a single ${spec.noun} there`,
      hint: `put a file name at the end of the path (e.g. ${path.join(target, `data${path.extname(target) || ''}`)})`,
    });
  } else if (existing === 'file' && folder) {
    preflight.push({
      code: 'destination_exists',
      path: 'params.path',
      nodeId: ctx.nodeId,
      message: `node '${ctx.nodeId}': ${target} is a file, but with partition_by the sink writes a folder there`,
      hint: 'remove the file or choose another path',
    });
  } else if (existing && ctx.params.if_exists === 'fail') {
    preflight.push({
      code: 'destination_exists',
      path: 'params.path',
      nodeId: ctx.nodeId,
      message: `node '${ctx.nodeId}': ${target} already exists`,
      hint: 'set if_exists to "overwrite" to replace it on every run, remove it, or put a param in the path (e.g. ${run_date})',
    });
  }
  if (preflight.length === 0) {
    const parent = await ensureParentFolder(ctx, target, 'path');
    if (parent.problem) preflight.push(parent.problem);
    createdFolders = parent.created;
    if (ctx.mode === 'run') await sweepDeadStaging(real);
  }

  const input = ctx.input();
  return {
    target,
    destination: { key: `file:${real}`, label: real === target ? target : `${target} (${real})` },
    preflight,
    stage: [`COPY (SELECT ${spec.select ?? '*'} FROM ${input.ref}) TO ${stringLiteral(temp)} (${copyOptions(spec)})`],
    // After a DISTINCT or GROUP BY the rows have no order to keep: DuckDB may write them as they come.
    unordered: input.orderArbitrary === true,
    ...(!folder && spec.readBack ? { readBack: spec.readBack(temp) } : {}),
    ...(folder && spec.options.FORMAT === 'parquet'
      ? {
          // No rows: DuckDB writes an empty folder (no partition, no file), which publishes as an
          // empty target; there is nothing a merged folder could have lost.
          verifyStaged: async (rows, io) => {
            if (rows > 0) await checkPartitionFolders(io.db, { nodeId: ctx.nodeId, folder: temp, input: `SELECT * FROM ${input.ref}`, partitionBy: spec.partitionBy ?? [] }, rows);
          },
        }
      : {}),
    publish: { kind: 'file', temp, target: real, aside: stagingPath(real, ctx.runId, 'old'), replace: ctx.params.if_exists === 'overwrite' },
    createdFolders,
  };
}
