import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { inDb } from './support/duckdb.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { pgConnection, pgSandbox } from './support/postgres.js';
import { canMount, useTmpfs } from './support/tmpfs.js';

/**
 * An incremental source's state folder that turns read-only after the data went out: the run's
 * rows are in the destination, but its watermark cannot be saved. The next runs must not read the
 * same rows again (an append would hold them twice), in the same process too (a studio, a watch):
 * they refuse until the folder is writable, and then recovery saves the watermark first.
 */
describe.skipIf(!canMount)('hostile disk: the watermark folder turns read-only at the commit', async () => {
  const disk = useTmpfs();
  const { schema, q } = await pgSandbox();
  const dir = await tempDir('caudal-hostile-disk-state-');

  it('the data stays once, the pipeline waits for the folder, and recovery saves the watermark', async () => {
    const stateDir = await disk.mount(dir, 'state', '1m');
    await q(`CREATE TABLE events (id int)`);
    await q(`INSERT INTO events SELECT generate_series(1, 3)`);
    const doc = pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'events', incremental: { column: 'id' } } },
        { id: 'dst', type: 'sink.duckdb', params: { database: 'copy.duckdb', table: 'copy', mode: 'append' } },
      ],
      ['src -> dst'],
      { connections: { db: { type: 'postgres' } } },
    );
    const run = () => runPipeline({ pipeline: doc, baseDir: dir, connections: pgConnection(), stateDir });
    const copied = async () => (await inDb(path.join(dir, 'copy.duckdb'), 'SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids FROM copy'))[0];

    expect((await run()).status).toBe('succeeded');
    await q(`INSERT INTO events SELECT generate_series(4, 5)`);
    disk.remount(stateDir, 'ro');

    const failed = await run();
    expect(failed.status).toBe('failed');
    // (The test password, 'caudal', is masked in messages: paths under /tmp/caudal-… show as ***.)
    expect(failed.error!.message).toMatch(/^the data was written, but saving the state of node 'src' in \S+\/state failed: EROFS: read-only file system/);
    expect(failed.error!.hint).toContain("the run's journal keeps the new states");
    expect(await copied()).toEqual({ n: 5, ids: 5 });

    // Still read-only: this pipeline does not run (it would append rows 4 and 5 again).
    const refused = await run();
    expect(refused.status).toBe('failed');
    expect(refused.error!.message).toMatch(/^run \S+ of this pipeline delivered its rows, but the state of node 'src' could not be saved yet/);
    expect(refused.error!.hint).toMatch(/^make \S+\/state writable/);
    expect(await copied()).toEqual({ n: 5, ids: 5 });

    disk.remount(stateDir, 'rw');
    await q(`INSERT INTO events VALUES (6)`);
    const resumed = await run();
    expect(resumed.status, resumed.error?.message).toBe('succeeded');
    expect(await copied()).toEqual({ n: 6, ids: 6 });
  });
});
