import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Problem } from '../../util/errors.js';

/**
 * Files a file sink must never replace: Caudal's own. A sink's output written over the pipeline
 * that runs (`"path": "pipeline.json", "if_exists": "overwrite"`) turned the pipeline into CSV and
 * the run still succeeded; a sink writing the connections or project file, or into a `.caudal`
 * folder (run records, node state, scheduler state, locks), breaks every later run as quietly.
 */

/** The names Caudal gives its own files next to pipelines (connections/file.ts, scheduler/project.ts). */
const OWN_NAMES: Record<string, string> = {
  'caudal.connections.json': "the project's connections file",
  'caudal.project.json': 'a Caudal project file',
};

/** The folder Caudal keeps run records and state in, next to each pipeline (engine/run-dirs.ts, scheduler/state.ts). */
const OWN_FOLDER = '.caudal';

/** The `format` of Caudal's documents that a sink's output would destroy (model/schema.ts, scheduler/project.ts, connections/file.ts). */
const OWN_FORMATS: Array<[prefix: string, what: string]> = [
  ['caudal.pipeline/', 'a Caudal pipeline file'],
  ['caudal.project/', 'a Caudal project file'],
  ['caudal.connections/', 'a Caudal connections file'],
];

/** Larger files are read only as far as this: Caudal's documents are far smaller. */
const HEAD_BYTES = 1024 * 1024;

/** What a Caudal document `file` is ("a Caudal pipeline file"), from its top-level `format`; undefined for any other file. */
async function documentKind(file: string): Promise<{ what: string; name?: unknown } | undefined> {
  let text: string;
  let whole: boolean;
  try {
    const handle = await open(file, 'r');
    try {
      // Most destinations are data (CSV, Parquet, JSON lines): a look at the first bytes tells.
      const start = Buffer.alloc(256);
      const head = start.subarray(0, (await handle.read(start, 0, start.length, 0)).bytesRead).toString('utf8');
      if (!/^\uFEFF?\s*(\{|$)/.test(head)) return undefined;
      const buf = Buffer.alloc(HEAD_BYTES + 1);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      whole = bytesRead <= HEAD_BYTES;
      text = buf.subarray(0, Math.min(bytesRead, HEAD_BYTES)).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
  let format: unknown;
  let name: unknown;
  if (whole) {
    try {
      const doc = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
      if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
      ({ format, name } = doc as { format?: unknown; name?: unknown });
    } catch {
      return undefined;
    }
  } else {
    // A document saved by Caudal starts with its format (canonical key order).
    format = /^\uFEFF?\s*\{\s*"format"\s*:\s*"([^"]*)"/.exec(text)?.[1];
  }
  if (typeof format !== 'string') return undefined;
  const hit = OWN_FORMATS.find(([prefix]) => format.startsWith(prefix));
  return hit ? { what: hit[1], name } : undefined;
}

/** `inner` is `outer` or inside it. */
function within(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

export interface OwnFileContext {
  /** The pipeline file's folder (relative paths resolve against it), real path. */
  baseDir: string;
  /** The name of the pipeline being planned: a pipeline file of that name in `baseDir` is the one running. */
  pipelineName: string;
}

/**
 * Why a sink may not write `real` (a real path, see canonicalPath) because it is Caudal's own: the
 * pipeline being run or another Caudal document, the connections or project file, a `.caudal`
 * folder or what is in it, or a folder holding the pipeline. Undefined when none of these; else
 * what the path is, to follow the path in a message ("is the pipeline file being run: ...").
 * `kind` is what is at the path now.
 */
export async function caudalOwnTarget(real: string, kind: 'file' | 'folder' | undefined, ctx: OwnFileContext): Promise<string | undefined> {
  if (within(ctx.baseDir, real)) return 'is the folder of the pipeline being run, or holds it: replacing it would delete the pipeline file';
  const parts = real.split(path.sep);
  for (let i = parts.indexOf(OWN_FOLDER); i > 0; i = parts.indexOf(OWN_FOLDER, i + 1)) {
    const folder = parts.slice(0, i + 1).join(path.sep);
    // A pipeline kept inside such a folder writes beside itself as any other.
    if (!within(ctx.baseDir, folder)) return `is inside ${folder}, the folder where Caudal keeps run records and state`;
  }
  const own = Object.hasOwn(OWN_NAMES, path.basename(real)) ? OWN_NAMES[path.basename(real)] : undefined;
  if (own) return `is ${own}`;
  if (kind === 'file') {
    const doc = await documentKind(real);
    if (doc) {
      const running = doc.what === OWN_FORMATS[0]![1] && doc.name === ctx.pipelineName && path.dirname(real) === ctx.baseDir;
      return `is ${running ? 'the pipeline file being run' : doc.what}: the sink would replace it with its output`;
    }
  }
  if (kind === 'folder') {
    // A folder replaced whole (partition_by): what Caudal keeps in it would go with it.
    const entries = await readdir(real).catch(() => [] as string[]);
    const held = entries.find((e) => e === OWN_FOLDER || Object.hasOwn(OWN_NAMES, e));
    if (held) return `holds ${held === OWN_FOLDER ? `Caudal's ${OWN_FOLDER} folder (run records and state)` : OWN_NAMES[held]}: replacing the folder would delete it`;
  }
  return undefined;
}

/**
 * The plan's refusal of a sink destination that is Caudal's own (caudalOwnTarget), at
 * `params.<param>` (the file sinks' `path`, sink.duckdb's `database`); undefined when it is not.
 */
export async function caudalOwnTargetProblem(
  at: { nodeId: string; param: string; written: unknown; real: string; kind: 'file' | 'folder' | undefined },
  ctx: OwnFileContext,
): Promise<Problem | undefined> {
  const own = await caudalOwnTarget(at.real, at.kind, ctx);
  if (!own) return undefined;
  return {
    code: 'destination_exists',
    path: `params.${at.param}`,
    nodeId: at.nodeId,
    message: `node '${at.nodeId}': params.${at.param} ${JSON.stringify(at.written)} (${at.real}) ${own}`,
    hint: "a sink never writes Caudal's own files: choose another path for the output (not the pipeline, project or connections file, nor inside a .caudal folder)",
  };
}
