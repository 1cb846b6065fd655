import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import type { Db } from '../../compiler/db.js';
import { stringLiteral } from '../../compiler/sql.js';
import { cleanDuckDbMessage } from '../../compiler/duckdb-errors.js';
import { CaudalError, errorMessage } from '../../util/errors.js';

/**
 * Messages that are JSON but do not fit the value columns (a text where the column is INTEGER, a
 * duplicate key, an array where an object is declared). DuckDB finds them only when it reads the
 * spool, and names the spool's line: this module says which message that line came from, and sets
 * such messages aside when the node routes bad messages to `rejects` (or dead-letters them).
 */

/** DuckDB's error for a spool line whose value does not convert to the declared columns. */
const SPOOL_ERROR = /JSON transform error in file "([^"]+)", in line (\d+): ([^\n]*)/;
/** The error of a value the node converts itself (stream-spool.ts), naming the message by its index. */
const VALUE_ERROR = /Caudal spool "([^"]+)" message #(\d+): ([^\n]*)/;

/** SQL text before the reason of a value the node converts: `Caudal spool "<file>" message #<n>: `. */
export function valueErrorPrefix(file: string, indexSql: string): string {
  return `${stringLiteral(`Caudal spool "${file}" message #`)} || ${indexSql} || ': '`;
}

/** A failing spool read as the spool line (1-based) and the reason, or undefined when it is another error. */
function failingLine(message: string, spool: string, lineMessage: number[]): { line: number; reason?: string } | undefined {
  const own = VALUE_ERROR.exec(message);
  if (own && own[1] === spool) {
    const line = lineMessage.indexOf(Number(own[2])) + 1;
    return line > 0 ? { line, reason: own[3]! } : undefined;
  }
  const m = SPOOL_ERROR.exec(message);
  return m && m[1] === spool ? { line: Number(m[2]) } : undefined;
}
/** Set-aside rounds per batch: each re-reads the spool, so a batch that mostly does not fit fails instead. */
const MAX_SET_ASIDE = 100;
/** Spools whose lines can be named; a long-lived worker (the studio's previews) keeps only the latest. */
const MAX_SPOOLS = 32;

const FIT_HINT = 'declare the value columns to match the messages (VARCHAR takes any value), or fix the producer';

interface SpoolLines {
  nodeId: string;
  /** The query that converts every value of a spool file (StreamOutputs.check). */
  check(file: string): string;
  /** How an error names the message on a spool line (1-based), as the line is now. */
  where(line: number): string | undefined;
  /** How an error names the message of index `i` (VALUE_ERROR). */
  whereMessage(i: number): string | undefined;
}
const spools = new Map<string, SpoolLines>();

export function registerSpool(file: string, lines: SpoolLines): void {
  spools.delete(file);
  spools.set(file, lines);
  if (spools.size > MAX_SPOOLS) spools.delete(spools.keys().next().value!);
}

/** A DuckDB error about a registered spool's line, in the words of the message it came from. */
export async function unfitMessageError(message: string, db: Db, cause?: unknown): Promise<CaudalError | undefined> {
  const own = VALUE_ERROR.exec(message);
  const ownSpool = own ? spools.get(own[1]!) : undefined;
  if (own && ownSpool) {
    const where = ownSpool.whereMessage(Number(own[2])) ?? `number ${Number(own[2]) + 1} of the batch`;
    return new CaudalError('execution', `node '${ownSpool.nodeId}': message ${where} does not fit the value columns: ${own[3]}`, {
      nodeId: ownSpool.nodeId,
      hint: `${FIT_HINT}; or set on_error to "reject" to set such messages aside`,
      cause,
    });
  }
  const m = SPOOL_ERROR.exec(message);
  const spool = m ? spools.get(m[1]!) : undefined;
  if (!m || !spool) return undefined;
  const line = Number(m[2]);
  const where = spool.where(line) ?? `on line ${line} of the batch`;
  const text = await readFile(m[1]!, 'utf8').then((t) => t.split('\n')[line - 1], () => undefined);
  const reason = await lineReason(db, spool.check, m[1]!, text, m[3]!).catch(() => m[3]!);
  return new CaudalError('execution', `node '${spool.nodeId}': message ${where} does not fit the value columns: ${reason}`, {
    nodeId: spool.nodeId,
    hint: `${FIT_HINT}; or set on_error to "reject" to set such messages aside`,
    cause,
  });
}

/**
 * Why one spool line does not fit, from that line alone: DuckDB names the first failing line of a
 * vector but gives the reason of the last one that failed in it (DuckDB 1.5).
 */
async function lineReason(db: Db, check: (file: string) => string, spool: string, text: string | undefined, reported: string): Promise<string> {
  if (text === undefined) return reported;
  const one = `${spool}.line`;
  try {
    await writeFile(one, `${text}\n`);
    const failure = await db.run(check(one)).then(
      () => undefined,
      (e: unknown) => errorMessage(e),
    );
    return (failure && SPOOL_ERROR.exec(failure)?.[3]) ?? reported;
  } finally {
    await rm(one, { force: true });
  }
}

export interface SetAside {
  db: Db;
  /** The query that converts every value of a spool file (fails on a line that does not fit). */
  check(file: string): string;
  spool: string;
  rejectSpool: string;
  nodeId: string;
  /** Which message each spool line holds; lines set aside are removed from it. */
  lineMessage: number[];
  /** The rejects-spool line for message `index` with `reason`. */
  rejectLine(index: number, reason: string): string;
  where(index: number): string;
}

/**
 * Moves every message whose value does not fit the columns from the spool to the rejects spool,
 * one DuckDB read per message set aside. Returns the indexes of the messages set aside.
 */
export async function setAsideUnfitting(o: SetAside): Promise<number[]> {
  const aside: number[] = [];
  let lines: string[] | undefined;
  for (;;) {
    const failure = await o.db.run(o.check(o.spool)).then(
      () => undefined,
      (e: unknown) => errorMessage(e),
    );
    if (failure === undefined) return aside;
    const failing = failingLine(failure, o.spool, o.lineMessage);
    const index = failing && o.lineMessage[failing.line - 1];
    if (!failing || index === undefined) throw new CaudalError('execution', `node '${o.nodeId}': ${cleanDuckDbMessage(failure)}`, { nodeId: o.nodeId });
    const line = failing.line;
    lines ??= (await readFile(o.spool, 'utf8')).split('\n');
    const reason = failing.reason ?? (await lineReason(o.db, o.check, o.spool, lines[line - 1], SPOOL_ERROR.exec(failure)![3]!));
    if (aside.length === MAX_SET_ASIDE) {
      throw new CaudalError('execution', `node '${o.nodeId}': more than ${MAX_SET_ASIDE} messages of this batch do not fit the value columns (message ${o.where(index)}: ${reason})`, {
        nodeId: o.nodeId,
        hint: FIT_HINT,
      });
    }
    lines.splice(line - 1, 1);
    o.lineMessage.splice(line - 1, 1);
    await writeFile(o.spool, lines.join('\n'));
    await appendFile(o.rejectSpool, `${o.rejectLine(index, `the value does not fit the value columns: ${reason}`)}\n`);
    aside.push(index);
  }
}
