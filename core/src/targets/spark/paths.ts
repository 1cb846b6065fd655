import path from 'node:path';
import { pathWithParams } from '../../compiler/plan.js';
import { expandHome } from '../../compiler/read-own-output.js';
import { isGlob } from '../../util/glob.js';
import { exactFileOrPatternSync } from '../../util/exact-file.js';

/** Paths with a scheme (s3a://, hdfs://, abfss://, gs://, file://) stay as they are. */
export function isUrl(p: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(p);
}

/**
 * A node's path as the DuckDB engine resolves it (compiler/plan.ts `ctx.path`, and for file sources
 * nodes/shared/exact-file.ts), so that a Spark job reads and writes the same files as a DuckDB run:
 * a param's value is literal text (in a source's pattern its glob characters are escaped: `data[1]`
 * names that file, not `data1`), a number param keeps its spelling (`007`), a leading `~/` written
 * in the pipeline is the home folder, and a source path naming an existing file exactly reads that
 * file even when its name holds glob characters. The result is a DuckDB pattern (the Spark forms
 * list files with DuckDB's glob at export); `hadoopGlob` turns it into Spark's syntax for the job.
 */
export function resolveNodePath(template: string, texts: Record<string, string>, opts: { baseDir: string; pattern: boolean }): string {
  const filled = pathWithParams(template, texts, opts.pattern);
  // The DuckDB plan reports these first (an empty param, a NUL); this only keeps a bad path out of a job.
  if ('problem' in filled) throw new Error(`${filled.problem} (${filled.hint})`);
  // `~/` is expanded from the path as written, never from a param's value (as on DuckDB).
  const home = template === '~' || template.startsWith('~/') ? expandHome(filled.path) : filled.path;
  if (isUrl(home)) return home;
  const resolved = path.resolve(opts.baseDir, home);
  return opts.pattern ? exactFileOrPatternSync(resolved) : resolved;
}

/** Characters Hadoop's glob (what Spark's readers list paths with) treats specially. */
const HADOOP_SPECIAL = /[\\{}[\]*?]/g;

/**
 * A DuckDB file pattern in the syntax of Hadoop's glob, which Spark's readers use for every path
 * holding one of `{}[]*?\`. They differ on literals: DuckDB escapes a glob character as a
 * one-character class (`[*]`, `[[]`, `[?]`; Hadoop reads `[?]` as "any character") or with a
 * backslash, and takes `{a,b}` literally (Hadoop: either name). Here every literal becomes a
 * backslash escape; wildcards and other classes are the same in both. A path without DuckDB glob
 * characters is all literal.
 */
export function hadoopGlob(pattern: string): string {
  if (!isGlob(pattern)) return pattern.replace(HADOOP_SPECIAL, (c) => `\\${c}`);
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      out += `\\${pattern[++i]!}`;
    } else if (c === '[' && pattern[i + 2] === ']' && /[*?[]/.test(pattern[i + 1]!)) {
      out += `\\${pattern[i + 1]!}`;
      i += 2;
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) out += '\\[';
      else {
        out += pattern.slice(i, end + 1);
        i = end;
      }
    } else if (c === '{' || c === '}' || c === ']' || c === '\\') out += `\\${c}`;
    else out += c;
  }
  return out;
}
