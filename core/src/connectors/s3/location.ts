import { createHash } from 'node:crypto';
import path from 'node:path';
import { CaudalError } from '../../util/errors.js';
import { firstGlobChar, globToRegExp } from '../../util/glob.js';
import { cutUtf8 } from '../../util/utf8-cut.js';

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

/** sink.s3's default staging prefix: a folder at the bucket's root. */
export const DEFAULT_STAGING_PREFIX = '.caudal-staging/';

/**
 * The folder of one sink's run under any staging prefix (`stagingBase` in write.ts:
 * `<run>-h<host>p<pid>-<node>/`), which holds `new/` and `old/`.
 */
const STAGING_RUN_FOLDER = /^[A-Za-z0-9]{1,8}-h[0-9a-f]{4}p\d+-[A-Za-z0-9_-]{1,60}$/;

/**
 * Whether a key is one of sink.s3's staging objects (another run's upload, or what it kept aside):
 * under the default staging prefix, or in a run folder of any staging prefix. Such objects are never
 * data, whatever the URL that reaches them (`s3://bucket/**\/*.parquet` at the bucket's root would
 * read every run's half-published output).
 */
export function isStagingKey(key: string): boolean {
  const parts = key.split('/');
  if (parts.slice(0, -1).includes(DEFAULT_STAGING_PREFIX.slice(0, -1))) return true;
  return parts.some((part, i) => STAGING_RUN_FOLDER.test(part) && (parts[i + 1] === 'new' || parts[i + 1] === 'old') && i + 2 < parts.length);
}

/**
 * Whether a listed key belongs to the location. Prefix reads skip folder markers and hidden files
 * (`_SUCCESS`, `.crc`); no read but of one named key takes sink.s3's staging objects.
 */
export function selects(loc: S3Location, key: string): boolean {
  if (loc.kind === 'key') return key === loc.key;
  if (key.endsWith('/') || isStagingKey(key)) return false;
  if (loc.kind === 'glob') return loc.matcher!.test(key);
  const rest = key.slice(loc.key.length);
  return !rest.split('/').some((seg) => seg.startsWith('_') || seg.startsWith('.'));
}

/**
 * Bytes a part of a mirror path may take: file names hold 255 bytes on every common file system, and
 * a download writes beside its file under a longer name first (`<name>.caudal-<owner>.part`).
 */
export const MAX_MIRROR_PART_BYTES = 200;


/**
 * What Windows refuses in a file name, or reads as a path: a backslash separates folders there (`..\..\x`
 * in a key would write outside the mirror), `:` names a drive or a stream, the rest are invalid, as
 * are names ending in a dot or a space and the device names (`con.csv`, `nul`).
 */
const WINDOWS_UNSAFE = /[\\:*?"<>|\p{Cc}]|[. ]$|^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/iu;

/**
 * A key part the local file system cannot hold as it is, renamed: its head (characters Windows
 * refuses made `_`), a hash of the whole part (parts alike in their first 200 bytes stay apart) and
 * its extensions (`.csv.gz`: the readers tell the format and the compression from them). Only ASCII
 * extensions of a few letters are kept whole.
 */
function renamedPart(part: string): string {
  const ext = /(\.[A-Za-z0-9]{1,10}){1,2}$/.exec(part)?.[0] ?? '';
  const hash = createHash('sha256').update(part).digest('hex').slice(0, 16);
  const head = cutUtf8(part.slice(0, part.length - ext.length), MAX_MIRROR_PART_BYTES - ext.length - hash.length - 1).replace(/[\\:*?"<>|\p{Cc}]/gu, '_');
  return `${head}~${hash}${ext}`;
}

/**
 * A key part as a local name: empty, '.' and '..' parts escaped (they are path tricks locally), parts
 * too long for a file name or (on Windows, `paths` being `path.win32`) holding what its names refuse renamed.
 */
function localPart(part: string, paths: path.PlatformPath): string {
  if (part === '' || part === '.' || part === '..') return `%${Buffer.from(part).toString('hex')}_`;
  const unsafe = Buffer.byteLength(part) > MAX_MIRROR_PART_BYTES || (paths.sep === '\\' && WINDOWS_UNSAFE.test(part));
  return unsafe ? renamedPart(part) : part;
}

/**
 * Where an object lives in a local mirror: `<root>/<bucket>/<key>`, with path tricks (`..`, empty
 * parts, Windows' backslashes) made harmless and parts no local file name can hold renamed.
 */
export function mirrorPath(root: string, bucket: string, key: string, paths: path.PlatformPath = path): string {
  return paths.join(root, bucket, ...key.split('/').map((part) => localPart(part, paths)));
}

/**
 * A folder of `key` that is a hive partition (`name=value`) the mirror has to rename (too long for
 * a file name, or on Windows holding `:` as a time does): its value cannot reach the partition
 * column, or undefined.
 */
export function renamedPartitionFolder(key: string, paths: path.PlatformPath = path): string | undefined {
  return key
    .split('/')
    .slice(0, -1)
    .find((part) => part.includes('=') && localPart(part, paths) !== part);
}

/**
 * Two listed objects the mirror cannot hold side by side, or undefined: keys that become one local
 * path (`a/../x.csv` and `a/%2e2e_/x.csv`: one object's rows would silently replace the other's;
 * with `ignoreCase`, for a mirror on a file system that ignores letter case as macOS' and Windows'
 * do by default, also `a/X.csv` and `a/x.csv`), or an object that is also a folder of others
 * (`a.csv` and `a.csv/b.csv`, both valid keys in S3).
 */
export function mirrorConflict(bucket: string, keys: string[], opts: { ignoreCase?: boolean } = {}): { key: string; other: string; kind: 'same' | 'folder' } | undefined {
  const root = path.sep;
  const fold = (p: string) => (opts.ignoreCase ? p.normalize('NFC').toLowerCase() : p);
  const files = new Map<string, string>();
  const folders = new Map<string, string>();
  for (const key of keys) {
    const file = fold(mirrorPath(root, bucket, key));
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
