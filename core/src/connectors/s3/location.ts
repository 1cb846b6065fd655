import path from 'node:path';
import { CaudalError } from '../../util/errors.js';

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

const GLOB_CHAR = /[*?[]/;

export function parseS3Url(url: string, where: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url.trim());
  if (!m) throw new CaudalError('validation', `${where}: '${url}' is not an S3 URL`, { hint: 'write s3://bucket/key, s3://bucket/prefix/ or s3://bucket/folder/*.parquet' });
  const bucket = m[1]!;
  const key = m[2]!;
  const wild = key.search(GLOB_CHAR);
  if (wild >= 0) return { bucket, key, listPrefix: key.slice(0, wild), kind: 'glob', matcher: globToRegExp(key) };
  if (key === '' || key.endsWith('/')) return { bucket, key, listPrefix: key, kind: 'prefix' };
  return { bucket, key, listPrefix: key, kind: 'key' };
}

/** DuckDB's glob rules over keys: `*` and `?` stay within a folder, `**` crosses folders, `[...]` is a set. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` also matches no folder at all.
      if (glob[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
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
