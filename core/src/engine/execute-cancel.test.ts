import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeline, tempDir } from '../../../test/support/pipeline.js';
import { Db } from '../compiler/db.js';
import { executeRun } from './execute.js';
import type { RunEvent } from './protocol.js';

/**
 * A cancel can arrive between two statements, when DuckDB's interrupt has nothing to stop (here:
 * just as the sink starts, before its COPY). The next statement must then not start, or the run
 * would go on to its end: the COPY below would write ten billion rows.
 */

let db: Db;
let dir: string;
beforeAll(async () => {
  db = await Db.open();
  dir = await tempDir('caudal-cancel-between-');
});
afterAll(() => db.close());

describe('a cancel that arrives between statements', () => {
  it('stops the run before the next statement starts: cancelled at once, nothing written', async () => {
    const doc = pipeline(
      [
        { id: 'numbers', type: 'transform.sql', params: { query: 'SELECT a.range AS a, b.range AS b FROM range(100000) a, range(100000) b' } },
        { id: 'sink', type: 'sink.parquet', params: { path: 'out/numbers.parquet' } },
      ],
      ['numbers -> sink'],
    );
    let cancelled = false;
    const events: RunEvent[] = [];
    const temp = path.join(dir, 'tmp');
    await mkdir(temp, { recursive: true });
    const started = Date.now();
    const summary = await executeRun({ runId: 'cancel-between', pipeline: doc, baseDir: dir, stateDir: path.join(dir, 'state'), artifactsDir: path.join(dir, 'artifacts') }, db, temp, {
      emit: (e) => {
        events.push(e);
        // The flag is set with no interrupt: no statement is running at this point.
        if (e.type === 'node_started' && e.nodeId === 'sink') cancelled = true;
      },
      isCancelled: () => cancelled,
    });
    expect(summary.status).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await readdir(path.join(dir, 'out')).catch(() => [])).toEqual([]);
  }, 60_000);
});
