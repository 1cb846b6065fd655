import { rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ident, stringLiteral } from '../../compiler/sql.js';
import { mirrorPath } from '../../connectors/s3/location.js';

/**
 * The names of the local copies of S3 objects, and the way back from them to the objects' URLs. Most
 * copies sit at `<mirror>/<bucket>/<key>`, so cutting `<mirror>/` off names the object; a key part the
 * local file system cannot hold (empty, '.', '..', longer than a file name) is renamed, and only those
 * copies need a lookup.
 */
export class MirrorNames {
  /** Local path -> `s3://bucket/key`, for the renamed copies; longest first, so no path is cut inside a longer one. */
  private readonly renamed: Array<[string, string]>;

  constructor(
    readonly mirror: string,
    private readonly bucket: string,
    keys: string[],
  ) {
    const renamed: Array<[string, string]> = [];
    for (const key of keys) {
      const local = mirrorPath(mirror, bucket, key);
      if (local !== [mirror, bucket, ...key.split('/')].join(path.sep)) renamed.push([local, `s3://${bucket}/${key}`]);
    }
    this.renamed = renamed.sort((a, b) => b[0].length - a[0].length);
  }

  /** What a reader's words about a copy become: the same words about its object. */
  urls(text: string): string {
    let out = text;
    for (const [local, url] of this.renamed) out = out.replaceAll(local, url);
    return out.replaceAll(`${this.mirror}${path.sep}`, 's3://');
  }

  /**
   * The way back: the objects' URLs in `text` (DuckDB's words, which name them, see aliases) as their
   * copies' paths, for a reader's code that compares the paths it names with its own files.
   */
  locals(text: string): string {
    let out = text;
    for (const [local, url] of [...this.renamed].sort((a, b) => b[1].length - a[1].length)) out = out.replaceAll(url, local);
    return out.replaceAll(`s3://${this.bucket}/`, `${this.mirror}${path.sep}${this.bucket}${path.sep}`);
  }

  /** Every rename as DuckDB should show it in its error messages, most specific first (see Db.aliasPath). */
  aliases(): Array<[string, string]> {
    return [...this.renamed, [`${this.mirror}${path.sep}`, 's3://']];
  }

  /** `sql` with the local paths in `column` turned into the objects' URLs. */
  withUrls(sql: string, column: string | undefined): string {
    if (!column) return sql;
    const c = ident(column);
    const rest = `replace(${c}, ${stringLiteral(`${this.mirror}${path.sep}`)}, '')`;
    // On Windows the rest of the path is the key with its slashes as backslashes (a key's own backslashes are renamed).
    const plain = `'s3://' || ${path.sep === '/' ? rest : `replace(${rest}, ${stringLiteral(path.sep)}, '/')`}`;
    const url = this.renamed.length === 0 ? plain : `CASE ${c}${this.renamed.map(([local, u]) => ` WHEN ${stringLiteral(local)} THEN ${stringLiteral(u)}`).join('')} ELSE ${plain} END`;
    return `SELECT * REPLACE (${url} AS ${c})\nFROM (${sql})`;
  }
}

/**
 * Whether the file system of `dir` (an existing folder) takes `a` and `A` for one name, as macOS' and
 * Windows' do by default: there, keys that differ only in case would overwrite each other's copies.
 */
export async function ignoresCase(dir: string): Promise<boolean> {
  const probe = path.join(dir, `case-probe-${process.pid}-a`);
  await writeFile(probe, '');
  try {
    return await stat(path.join(dir, `CASE-PROBE-${process.pid}-A`)).then(
      () => true,
      () => false,
    );
  } finally {
    await rm(probe, { force: true });
  }
}
