import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { migrate } from './migrations/index.js';
import { pipelineSchema, type Pipeline } from './schema.js';
import { CaudalError, type Problem } from '../util/errors.js';

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

function hintFor(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code === 'unrecognized_keys') return `remove ${issue.keys.map((k) => `"${k}"`).join(', ')} or check the spelling`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'this field is required';
  return undefined;
}

export function zodProblems(error: z.ZodError, prefix: readonly PropertyKey[] = [], code: Problem['code'] = 'invalid_document'): Problem[] {
  return error.issues.map((issue) => ({
    code,
    path: jsonPath([...prefix, ...issue.path]),
    message: issue.message,
    hint: hintFor(issue),
  }));
}

/** Parses text into a pipeline: JSON syntax, format migrations, then the document schema. */
export function parsePipelineText(text: string, source = 'pipeline'): LoadResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    let where = '';
    if (pos) {
      const offset = Number(pos[1]);
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const col = offset - before.lastIndexOf('\n');
      where = ` at line ${line}, column ${col}`;
    }
    return {
      problems: [{ code: 'invalid_json', path: '(document)', message: `${source} is not valid JSON${where}: ${msg}`, hint: 'check for a missing comma or quote near that spot' }],
      migrationsApplied: [],
    };
  }
  return parsePipelineObject(raw);
}

export function parsePipelineObject(raw: unknown): LoadResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { problems: [{ code: 'invalid_document', path: '(document)', message: 'a pipeline is a JSON object' }], migrationsApplied: [] };
  }
  let migrated: Record<string, unknown>;
  let applied: string[];
  try {
    ({ doc: migrated, applied } = migrate(raw as Record<string, unknown>));
  } catch (e) {
    return {
      problems: [{ code: 'unsupported_format', path: 'format', message: (e as Error).message, hint: 'set "format": "caudal.pipeline/1"' }],
      migrationsApplied: [],
    };
  }
  const parsed = pipelineSchema.safeParse(migrated);
  if (!parsed.success) return { problems: zodProblems(parsed.error), migrationsApplied: applied };
  return { pipeline: parsed.data, problems: [], migrationsApplied: applied };
}

export async function loadPipelineFile(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CaudalError('io', `cannot read pipeline ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parsePipelineText(text, file);
}
