import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadPipelineFile, type LoadResult } from '../model/load.js';
import { CaudalError } from '../util/errors.js';

/** What a command's file argument is, for the refusal: what is kept next to it, and how to save one. */
const KINDS = {
  pipeline: { noun: 'pipeline file', kept: "a pipeline's relative paths, state and run records are kept next to its file", save: 'save the pipeline to a file first (e.g. `envsubst < tmpl.json > pipeline.json`) and pass that file' },
  project: { noun: 'project file', kept: "a project's pipelines, scheduler state and run history are kept next to its file", save: 'save the project to a file first and pass that file' },
  'pipeline or project': {
    noun: 'pipeline or project file',
    kept: "the pipelines' relative paths, state and run records are kept next to their files",
    save: 'save it to a file first (e.g. `envsubst < tmpl.json > pipeline.json`) and pass that file',
  },
} as const;

/**
 * The absolute path of a command's pipeline (or project) file, once it is known to be a file in a
 * folder. A pipe (`<(…)`, /dev/stdin) or a device has no folder of its own: relative paths, state
 * and run folders would land in /dev/fd or /dev (where a recursive mkdir never ends), and a pipe
 * read once is empty the second time. Refused at once, without opening it, with the fix.
 * Every command that takes such a file calls this before reading it.
 */
export async function checkPipelineFile(file: string, kind: keyof typeof KINDS = 'pipeline'): Promise<string> {
  const abs = path.resolve(file);
  const found = await stat(abs).catch(() => undefined);
  const folder = await realpath(path.dirname(abs)).catch(() => path.dirname(abs));
  if ((found && !found.isFile() && !found.isDirectory()) || /^\/(dev|proc)(\/|$)/.test(folder)) {
    const k = KINDS[kind];
    throw new CaudalError('usage', `${file} is not a ${k.noun} in a folder (it is a pipe, /dev/stdin or a device): ${k.kept}`, { hint: k.save });
  }
  return abs;
}

/**
 * The pipeline file argument, checked (checkPipelineFile) and loaded; its problems are returned,
 * not thrown, for the commands that report them (validate). `baseDir` is its folder as given.
 */
export async function loadPipelineArg(file: string | undefined): Promise<LoadResult & { text: string; abs: string; baseDir: string }> {
  if (!file) throw new CaudalError('usage', 'missing the pipeline file argument');
  const abs = await checkPipelineFile(file);
  return { ...(await loadPipelineFile(abs)), abs, baseDir: path.dirname(abs) };
}
