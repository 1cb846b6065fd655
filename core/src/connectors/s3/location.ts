import path from 'node:path';
import { CaudalError } from '../../util/errors.js';
import { firstGlobChar, globToRegExp } from '../../util/glob.js';

/** `s3://bucket/key`, `s3://bucket/prefix/` or `s3://bucket/sales/2025-*\/*.parquet`. */
export interface S3Location {
  bucket: string;
  /** The key, prefix or pattern after the bucket. */
  key: string;
  /** The part before the first wildcard: what LIST is asked for. */
  listPrefix: string;
  kind: 'key' | 'prefix' | 'glob';
  /** For globs: matches whole keys. */
  matcher?: RegExp;
}


export function parseS3Url(url: string, where: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url.trim());
  if (!m) throw new CaudalError('validation', `${where}: '${url}' is not an S3 URL`, { hint: 'write s3://bucket/key, s3://bucket/prefix/ or s3://bucket/folder/*.parquet' });
  const bucket = m[1]!;
  const key = m[2]!;
  const wild = firstGlobChar(key);
  if (wild >= 0) return { bucket, key, listPrefix: key.slice(0, wild), kind: 'glob', matcher: globToRegExp(key) };
  if (key === '' || key.endsWith('/')) return { bucket, key, listPrefix: key, kind: 'prefix' };
  return { bucket, key, listPrefix: key, kind: 'key' };
}

/** Whether a listed key belongs to the location. Prefix reads skip folder markers and hidden files (`_SUCCESS`, `.crc`). */
export function selects(loc: S3Location, key: string): boolean {
  if (loc.kind === 'key') return key === loc.key;
  if (key.endsWith('/')) return false;
  if (loc.kind === 'glob') return loc.matcher!.test(key);
  const rest = key.slice(loc.key.length);
  return !rest.split('/').some((seg) => seg.startsWith('_') || seg.startsWith('.'));
}

/** Where an object lives in a local mirror: `<root>/<bucket>/<key>`, with path tricks (`..`, empty parts) made harmless. */
export function mirrorPath(root: string, bucket: string, key: string): string {
  const parts = key.split('/').map((s) => (s === '' || s === '.' || s === '..' ? `%${Buffer.from(s).toString('hex')}_` : s));
  return path.join(root, bucket, ...parts);
}

/**
 * Two listed objects the mirror cannot hold side by side, or undefined: keys that become one local
 * path (`a/../x.csv` and `a/%2e2e_/x.csv`: one object's rows would silently replace the other's),
 * or an object that is also a folder of others (`a.csv` and `a.csv/b.csv`, both valid keys in S3).
 */
export function mirrorConflict(bucket: string, keys: string[]): { key: string; other: string; kind: 'same' | 'folder' } | undefined {
  const root = path.sep;
  const files = new Map<string, string>();
  const folders = new Map<string, string>();
  for (const key of keys) {
    const file = mirrorPath(root, bucket, key);
    const same = files.get(file) ?? folders.get(file);
    if (same !== undefined) return { key, other: same, kind: files.has(file) ? 'same' : 'folder' };
    files.set(file, key);
    for (let dir = path.dirname(file); dir !== root && dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const clash = files.get(dir);
      if (clash !== undefined) return { key: clash, other: key, kind: 'folder' };
      if (folders.has(dir)) break;
      folders.set(dir, key);
    }
  }
  return undefined;
}
