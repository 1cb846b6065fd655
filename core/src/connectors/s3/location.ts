import { createHash } from 'node:crypto';
import path from 'node:path';
import { CaudalError } from '../../util/errors.js';
import { escapeGlob, firstGlobChar, globToRegExp } from '../../util/glob.js';
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

/** A `${param}` reference, as the planner fills it in (compiler/plan.ts). */
const PARAM_REF = /\$\{([^}]*)\}/g;

/** A bucket name as S3 and the stores like it take it (older AWS buckets may hold capitals and `_`). */
const BUCKET_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/** Key parts that S3 keeps as they are but that read as another path to people and to path-normalizing tools. */
const oddParts = (key: string) => key.split('/').filter((part) => part === '' || part === '.' || part === '..').length;

/** Text of the URL as written in the node (`param` unset), or a param's value. */
interface Piece {
  text: string;
  param?: string;
}

/**
 * An S3 URL with its `${name}` params filled in, as a location. `fill` gives a reference's value
 * (the reference itself for an undeclared param, which the planner reports). A param value is
 * literal key text, as in the file sources' paths (`pathWithParams` in compiler/plan.ts):
 * - what the URL reads is decided by the URL as written (one key, a prefix ending in `/`, a glob),
 *   never by a value: a value's `*`, `?` and `[` match only themselves (in a glob as one-character
 *   sets, `*` → `[*]`), and a value may not end the key with `/` (an object URL would become a prefix);
 * - a value may not be empty (`tenants/${t}` would silently become the prefix `tenants/`) nor hold NUL;
 * - a value may hold `/` to name several key parts (`acme/eu`), as a file path's param may name
 *   folders, but not make an empty, `.` or `..` part (as REST param URLs refuse dot segments: S3 keeps
 *   such parts, but people and tools that normalize paths read them as another path);
 * - in the bucket (`s3://${bucket}/…`, `s3://lake-${env}/…`) a value holds bucket-name characters
 *   only, and the bucket it makes is a bucket name: it cannot reach into the key.
 * `pattern` is false for sinks: their keys are never globs, so values are left as they are.
 * A refusal is a CaudalError with an `invalid_param` problem at `params.url`.
 */
export function s3UrlWithParams(template: string, fill: (ref: string) => string, opts: { where: string; nodeId?: string; pattern: boolean }): S3Location & { url: string } {
  const written = template.trim();
  const pieces: Piece[] = [];
  let at = 0;
  for (const m of written.matchAll(PARAM_REF)) {
    if (m.index > at) pieces.push({ text: written.slice(at, m.index) });
    const value = fill(m[0]);
    pieces.push(value === m[0] ? { text: m[0] } : { text: value, param: m[1]!.trim() });
    at = m.index + m[0].length;
  }
  if (at < written.length) pieces.push({ text: written.slice(at) });
  if (!pieces.some((p) => p.param !== undefined)) return { ...parseS3Url(written, opts.where), url: written };

  const refuse = (message: string, hint: string): never => {
    throw new CaudalError('validation', `${opts.where}: ${message}`, { nodeId: opts.nodeId, hint, problems: [{ code: 'invalid_param', path: 'params.url', message: `${opts.where}: ${message}`, hint }] });
  };
  const shown = (p: Piece) => `param '${p.param}' = ${JSON.stringify(p.text)}`;
  const first = pieces[0]!;
  if (first.param !== undefined || !first.text.startsWith('s3://')) {
    refuse(`the URL ${JSON.stringify(template)} does not start with s3:// written in the node: a param fills in the bucket or part of the key, not the whole URL`, 'write s3://bucket/… in the node, or s3://${bucket}/… with the bucket as a param');
  }

  // The bucket ends at the first / written in the node: a value's / cannot move that boundary.
  const bucketPieces: Piece[] = [];
  const keyPieces: Piece[] = [];
  for (const p of [{ text: first.text.slice('s3://'.length) }, ...pieces.slice(1)]) {
    const slash = p.param === undefined && keyPieces.length === 0 ? p.text.indexOf('/') : -1;
    if (keyPieces.length > 0) keyPieces.push(p);
    else if (slash < 0) bucketPieces.push(p);
    else {
      bucketPieces.push({ text: p.text.slice(0, slash) });
      keyPieces.push({ text: p.text.slice(slash + 1) });
    }
  }
  const inBucket = bucketPieces.filter((p) => p.param !== undefined || p.text !== '');
  const bucket = inBucket.map((p) => p.text).join('');
  if (bucket === '') refuse(`${JSON.stringify(template)} names no bucket`, 'write s3://bucket/… or s3://${bucket}/…');
  // A bucket param (`s3://${bucket}/…`, `s3://lake-${env}/…`) gives bucket-name characters only: its
  // value cannot reach into the key (a `/`) or be a pattern.
  for (const p of inBucket) {
    if (p.param !== undefined && !/^[A-Za-z0-9._-]+$/.test(p.text)) {
      refuse(`${shown(p)} in the bucket of ${JSON.stringify(template)} holds characters no bucket name has (only letters, digits, '.', '-' and '_')`, 'pass only (part of) the bucket\'s name; the key belongs in the URL after the bucket');
    }
  }
  if (inBucket.some((p) => p.param !== undefined) && !BUCKET_NAME.test(bucket)) {
    refuse(`the params make the bucket of ${JSON.stringify(template)} ${JSON.stringify(bucket)}, which is not a bucket name`, 'a bucket name starts and ends with a letter or digit');
  }

  for (const p of keyPieces) {
    if (p.param === undefined) continue;
    if (p.text === '') refuse(`param '${p.param}' is empty, so the URL ${JSON.stringify(template)} would silently become another URL`, 'give the param a value, or leave it out of the URL');
    if (p.text.includes('\u0000')) refuse(`param '${p.param}' holds a NUL character, which no S3 key can`, 'give the param a value without NUL');
  }
  const literal = (p: Piece) => p.param === undefined;
  const shape = keyPieces.map((p) => (literal(p) ? p.text : 'x')).join('');
  const raw = keyPieces.map((p) => p.text).join('');
  const glob = opts.pattern && keyPieces.some((p) => literal(p) && firstGlobChar(p.text) >= 0);
  const last = keyPieces.at(-1);
  if (!shape.endsWith('/') && raw.endsWith('/') && last?.param !== undefined) {
    refuse(
      `${shown(last)} ends the key with /, which would turn the URL ${JSON.stringify(template)} from one object into the prefix s3://${bucket}/${raw} (every object under it)`,
      opts.pattern ? 'pass the object\'s name; to read a prefix, end the URL with / in the node itself' : 'pass the object\'s name (orders.csv); a URL ending in / is a prefix, which needs partition_by',
    );
  }
  if (oddParts(raw) > oddParts(shape)) {
    const culprit = keyPieces.find((p) => p.param !== undefined && /[/.]/.test(p.text)) ?? keyPieces.find((p) => p.param !== undefined)!;
    refuse(
      `${shown(culprit)} makes an empty, '.' or '..' part in the key of ${JSON.stringify(template)} (s3://${bucket}/${raw}): a param may name key parts, not lead to another path`,
      'pass names without empty parts (//), leading or trailing /, or . and .. parts',
    );
  }
  if (!glob) return { bucket, key: raw, listPrefix: raw, kind: shape === '' || shape.endsWith('/') ? 'prefix' : 'key', url: `s3://${bucket}/${raw}` };
  // A glob: values match themselves, and LIST is asked for everything before the URL's own first wildcard.
  const key = keyPieces.map((p) => (literal(p) ? p.text : escapeGlob(p.text))).join('');
  let listPrefix = '';
  for (const p of keyPieces) {
    const wild = literal(p) ? firstGlobChar(p.text) : -1;
    listPrefix += wild < 0 ? p.text : p.text.slice(0, wild);
    if (wild >= 0) break;
  }
  return { bucket, key, listPrefix, kind: 'glob', matcher: globToRegExp(key), url: `s3://${bucket}/${key}` };
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
 * The part of a key under a prefix read that hides it, or undefined: a name or folder starting with
 * `_` or `.`, as Hive and Spark hide their markers and temporary files (`_SUCCESS`, `_temporary/`,
 * `.part-0.crc`). A `.` or `..` part is not a hidden name but an odd part of a key, which S3 keeps
 * as it is: such keys are read like any other.
 */
export function hiddenPart(loc: S3Location, key: string): string | undefined {
  if (loc.kind !== 'prefix' || !key.startsWith(loc.key)) return undefined;
  return key
    .slice(loc.key.length)
    .split('/')
    .find((seg) => seg.startsWith('_') || (seg.startsWith('.') && seg !== '.' && seg !== '..'));
}

/**
 * Whether a listed key belongs to the location. Prefix reads skip folder markers and hidden files
 * (`hiddenPart`); no read but of one named key takes sink.s3's staging objects.
 */
export function selects(loc: S3Location, key: string): boolean {
  if (loc.kind === 'key') return key === loc.key;
  if (key.endsWith('/') || isStagingKey(key)) return false;
  if (loc.kind === 'glob') return loc.matcher!.test(key);
  return key.startsWith(loc.key) && hiddenPart(loc, key) === undefined;
}

/**
 * Bytes a key part may take in a mirror path as it is: file names hold 255 bytes on every common
 * file system (ext4, XFS, APFS, NTFS), as many as sink.parquet gives a partition folder (NAME_MAX
 * there). A download writes under a short temp name of its own (objects.ts), so no suffix needs room.
 */
export const MAX_MIRROR_PART_BYTES = 255;

/** Bytes of a renamed part (head, hash and extension): shorter than any limit, with room to spare. */
const RENAMED_PART_BYTES = 200;


/**
 * What Windows refuses in a file name, or reads as a path: a backslash separates folders there (`..\..\x`
 * in a key would write outside the mirror), `:` names a drive or a stream, the rest are invalid, as
 * are names ending in a dot or a space and the device names (`con.csv`, `nul`).
 */
const WINDOWS_UNSAFE = /[\\:*?"<>|\p{Cc}]|[. ]$|^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/iu;

/**
 * A key part the local file system cannot hold as it is, renamed: its head (characters Windows
 * refuses made `_`), a hash of the whole part (parts alike in their first bytes stay apart) and
 * its extensions (`.csv.gz`: the readers tell the format and the compression from them). Only ASCII
 * extensions of a few letters are kept whole.
 */
function renamedPart(part: string): string {
  const ext = /(\.[A-Za-z0-9]{1,10}){1,2}$/.exec(part)?.[0] ?? '';
  const hash = createHash('sha256').update(part).digest('hex').slice(0, 16);
  const head = cutUtf8(part.slice(0, part.length - ext.length), RENAMED_PART_BYTES - ext.length - hash.length - 1).replace(/[\\:*?"<>|\p{Cc}]/gu, '_');
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
