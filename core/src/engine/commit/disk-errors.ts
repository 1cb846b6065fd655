import path from 'node:path';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { runtimeDir } from './runtime-dir.js';

/**
 * File-system failures (a full disk, a read-only mount, a denied permission) told in words the user
 * can act on, whether Node raised them (an errno code) or DuckDB did (its IO Error text, which names
 * the file in quotes). A bare "ENOSPC: no space left on device, write" says neither which folder
 * nor what to do about it.
 */
export type DiskTrouble = 'full' | 'read-only' | 'denied' | 'quota' | 'missing';

export interface DiskFailure {
  trouble: DiskTrouble;
  /** The file the failure names, when it names one. */
  file?: string;
}

const CODES: Record<string, DiskTrouble> = { ENOSPC: 'full', EROFS: 'read-only', EACCES: 'denied', EPERM: 'denied', EDQUOT: 'quota', ENOENT: 'missing' };

/** DuckDB's (and the C library's) words for the same failures; a missing file is left out, it is no disk failure there. */
const TEXTS: Array<[RegExp, DiskTrouble]> = [
  [/No space left on device/i, 'full'],
  [/Read-only file system/i, 'read-only'],
  [/Permission denied/i, 'denied'],
  [/Disk quota exceeded/i, 'quota'],
];

export function diskFailure(e: unknown): DiskFailure | undefined {
  const err = e as NodeJS.ErrnoException | undefined;
  const byCode = typeof err?.code === 'string' ? CODES[err.code] : undefined;
  if (byCode) return { trouble: byCode, ...(typeof err?.path === 'string' ? { file: err.path } : {}) };
  const text = errorMessage(e);
  const hit = TEXTS.find(([re]) => re.test(text));
  if (!hit) return undefined;
  const quoted = /"([^"]+)"/.exec(text)?.[1] ?? /'(\/[^']+)'/.exec(text)?.[1];
  return { trouble: hit[1], ...(quoted ? { file: quoted } : {}) };
}

export function troubleWords(t: DiskTrouble): string {
  switch (t) {
    case 'full':
      return 'the disk is full';
    case 'read-only':
      return 'the file system is read-only';
    case 'denied':
      return 'permission denied';
    case 'quota':
      return 'the disk quota is used up';
    case 'missing':
      return 'the folder is missing and could not be created';
  }
}

/** What to do about a failure in `folder`, for a hint. */
export function troubleRemedy(t: DiskTrouble, folder: string): string {
  switch (t) {
    case 'full':
    case 'quota':
      return `free space on the disk holding ${folder}`;
    case 'read-only':
    case 'denied':
      return `make ${folder} writable`;
    case 'missing':
      return `create ${folder}`;
  }
}

/** True when `file` is `folder` or inside it. */
export function isWithin(file: string, folder: string): boolean {
  const rel = path.relative(folder, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * A failure to write in the state folder (CAUDAL_RUNTIME_DIR: commit journals, run locks) as an
 * error saying which folder and what to do; any other error comes back as it was.
 * `doing` reads after "cannot", e.g. "write the run's commit journal".
 */
export function runtimeDirError(doing: string, folder: string, e: unknown, env?: NodeJS.ProcessEnv): unknown {
  const f = diskFailure(e);
  if (!f || e instanceof CaudalError) return e;
  return new CaudalError('io', `cannot ${doing} in ${folder}: ${troubleWords(f.trouble)} (${errorMessage(e)})`, {
    hint: `${troubleRemedy(f.trouble, runtimeDir(env))}, or point CAUDAL_RUNTIME_DIR at a writable folder with space (the state folder holds the journals and locks of runs in progress), then run again`,
    cause: e,
  });
}
