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
