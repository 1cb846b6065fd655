import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CaudalError } from '../../util/errors.js';
import { packageRoot } from '../../util/package-root.js';

const run = promisify(execFile);

/** The folder with the job runtime and the translator (resources/spark in the package). */
export function sparkResources(): string {
  return path.join(packageRoot(), 'resources', 'spark');
}

/**
 * The Python that translates SQL with sqlglot: CAUDAL_SPARK_PYTHON, else python3 on the PATH. It is
 * checked once per process; the error says how to get sqlglot.
 */
let found: Promise<string> | undefined;
export function sqlglotPython(): Promise<string> {
  found ??= (async () => {
    const python = process.env.CAUDAL_SPARK_PYTHON || 'python3';
    try {
      await run(python, ['-c', 'import sqlglot'], { timeout: 60_000 });
      return python;
    } catch (e) {
      found = undefined;
      throw new CaudalError('usage', `the Spark target translates DuckDB SQL with sqlglot, which ${python} cannot import (${(e as Error).message.split('\n')[0]})`, {
        hint: 'install it with `pip install sqlglot==30.30.0`, or set CAUDAL_SPARK_PYTHON to a Python that has it',
      });
    }
  })();
  return found;
}

/** Runs a Python script with JSON on stdin and parses the JSON it prints. */
export async function pythonJson<T>(python: string, script: string, input: unknown): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new CaudalError('execution', `${path.basename(script)} failed (exit ${code}): ${Buffer.concat(err).toString().trim().split('\n').slice(-3).join(' ')}`));
      try {
        resolve(JSON.parse(Buffer.concat(out).toString()) as T);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}

/**
 * spark-submit: --spark-submit, else $SPARK_HOME/bin/spark-submit, else the one next to
 * CAUDAL_SPARK_PYTHON (pyspark from PyPI ships it), else spark-submit on the PATH.
 */
export function sparkSubmitPath(explicit?: string): string {
  if (explicit) return explicit;
  const candidates = [
    process.env.SPARK_HOME ? path.join(process.env.SPARK_HOME, 'bin', 'spark-submit') : undefined,
    process.env.CAUDAL_SPARK_PYTHON ? path.join(path.dirname(process.env.CAUDAL_SPARK_PYTHON), 'spark-submit') : undefined,
  ].filter((c): c is string => !!c);
  return candidates.find((c) => existsSync(c)) ?? 'spark-submit';
}
