import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import type { RunSummary } from '../core/src/engine/protocol.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { canMount, fill, useTmpfs } from './support/tmpfs.js';

/**
 * Runs that meet a full, read-only or unwritable file system: the destination's folder, or the
 * state folder (CAUDAL_RUNTIME_DIR: commit journals and run locks). Each case mounts a small tmpfs
 * of its own (this needs root; without it the file is skipped) and every mount is undone after the
 * file, whatever failed.
 */
const disk = useTmpfs();
const tmpfs = disk.mount;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Names in `dir`, recursively, sorted. */
async function listing(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }).catch(() => [] as string[])).map(String).sort();
}

describe.skipIf(!canMount)('hostile disk: the state folder (journals, locks) fails under a run', async () => {
  const dir = await tempDir();
  const csv = path.join(dir, 'in.csv');
  const lines = ['id,v'];
  for (let i = 0; i < 300_000; i++) lines.push(`${i},${'x'.repeat(40)}${i}`);
  await writeFile(csv, lines.join('\n') + '\n');
  const sinkTo = (target: string) =>
    pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: csv } },
        { id: 'dst', type: 'sink.csv', params: { path: target, if_exists: 'overwrite' } },
      ],
      ['src -> dst'],
    );

  /** Runs with CAUDAL_RUNTIME_DIR at `runtime`; `meanwhile` runs once the sink's staged file appears in `out`. */
  async function runWith(runtime: string, target: string, meanwhile?: () => Promise<void>): Promise<RunSummary> {
    const saved = process.env.CAUDAL_RUNTIME_DIR;
    process.env.CAUDAL_RUNTIME_DIR = runtime;
    try {
      const running = runPipeline({ pipeline: sinkTo(target), baseDir: dir, onEvent: () => undefined });
      if (meanwhile) {
        const out = path.dirname(target);
        let seen = false;
        for (let i = 0; i < 4000 && !seen; i++) {
          seen = (await readdir(out)).some((n) => n.endsWith('.tmp'));
          if (!seen) await sleep(2);
        }
        expect(seen).toBe(true);
        await meanwhile();
      }
      return await running;
    } finally {
      process.env.CAUDAL_RUNTIME_DIR = saved;
    }
  }

  for (const how of ['turns read-only', 'fills up'] as const) {
    it(`${how} while a sink stages: the run fails saying so, the staged file is removed, the old file is intact, and a run after the fix succeeds`, async () => {
      const runtime = await tmpfs(dir, `rt-${how.replace(/\W/g, '')}`, '1m');
      const out = await mkdtemp(path.join(dir, 'out-'));
      const target = path.join(out, 'o.csv');
      await writeFile(target, 'old\n');
      const summary = await runWith(runtime, target, async () => {
        if (how === 'turns read-only') disk.remount(runtime, 'ro');
        else await fill(runtime);
      });
      expect(summary.status).toBe('failed');
      expect(summary.error!.message).toContain(`cannot write the run's commit journal in ${path.join(runtime, 'runs')}`);
      expect(summary.error!.message).toContain(how === 'turns read-only' ? 'the file system is read-only' : 'the disk is full');
      expect(summary.error!.message).toContain('nothing was changed');
      expect(summary.error!.hint).toContain('CAUDAL_RUNTIME_DIR');
      expect(await readFile(target, 'utf8')).toBe('old\n');
      expect(await listing(out)).toEqual(['o.csv']);

      if (how === 'turns read-only') disk.remount(runtime, 'rw');
      else await rm(path.join(runtime, 'filler'), { force: true });
      const again = await runWith(runtime, target);
      expect(again.error).toBeUndefined();
      expect((await readFile(target, 'utf8')).split('\n')).toHaveLength(300_002);
      expect(await listing(out)).toEqual(['o.csv']);
      // What the failed run could not remove from the state folder is not left to block this one.
      expect((await listing(runtime)).filter((n) => n.endsWith('.lock'))).toEqual([]);
      // A journal the read-only folder kept from removal names this live process: the recovery of
      // the first run after it ends discards it (its staged file is gone already).
      const journals = (await listing(runtime)).filter((n) => n.endsWith('.json'));
      expect(journals).toEqual(how === 'turns read-only' ? [`runs/${summary.runId}.json`] : []);
    });
  }

  it('is read-only before the run: refused before anything is read, naming the folder and what to do', async () => {
    const runtime = await tmpfs(dir, 'rt-ro', '1m', { ro: true });
    const out = await mkdtemp(path.join(dir, 'out-'));
    const target = path.join(out, 'o.csv');
    const summary = await runWith(runtime, target);
    expect(summary.status).toBe('failed');
    expect(summary.error!.message).toContain(`cannot take the run's locks in ${path.join(runtime, 'locks')}`);
    expect(summary.error!.message).toContain('the file system is read-only');
    expect(summary.error!.hint).toContain('CAUDAL_RUNTIME_DIR');
    expect(await listing(out)).toEqual([]);
  });
});

describe.skipIf(!canMount)('hostile disk: the destination folder is full or read-only', async () => {
  const dir = await tempDir();
  const csv = path.join(dir, 'in.csv');
  const lines = ['id,v'];
  for (let i = 0; i < 60_000; i++) lines.push(`${i},${'y'.repeat(30)}${i}`);
  await writeFile(csv, lines.join('\n') + '\n');
  const go = (type: string, params: Record<string, unknown>) =>
    runPipeline({
      pipeline: pipeline(
        [
          { id: 'src', type: 'source.csv', params: { path: csv } },
          { id: 'dst', type, params },
        ],
        ['src -> dst'],
      ),
      baseDir: dir,
      onEvent: () => undefined,
    });

  for (const [type, ext] of [
    ['sink.csv', 'csv'],
    ['sink.json', 'json'],
    ['sink.parquet', 'parquet'],
  ] as const) {
    it(`${type}: a full disk fails naming the node, the target and what to do; the old file is intact, nothing is left, and a run with room succeeds`, async () => {
      const out = await tmpfs(dir, `full-${ext}`, '512k');
      const target = path.join(out, `o.${ext}`);
      await writeFile(target, 'old\n');
      // Parquet compresses the repetitive rows well: fill most of the room so that it cannot fit either.
      if (ext === 'parquet') await writeFile(path.join(out, 'ballast'), Buffer.alloc(480 * 1024, 7));
      const s = await go(type, { path: target, if_exists: 'overwrite' });
      expect(s.status).toBe('failed');
      expect(s.error!.nodeId).toBe('dst');
      expect(s.error!.message).toContain(`node 'dst': cannot write ${target}: the disk is full`);
      expect(s.error!.hint).toContain(`free space on the disk holding ${out}`);
      expect(await readFile(target, 'utf8')).toBe('old\n');
      expect((await listing(out)).filter((n) => n !== 'ballast')).toEqual([`o.${ext}`]);
      disk.remount(out, 'size=16m');
      const again = await go(type, { path: target, if_exists: 'overwrite' });
      expect(again.error).toBeUndefined();
      expect((await listing(out)).filter((n) => n !== 'ballast')).toEqual([`o.${ext}`]);
    });
  }

  it('sink.duckdb: a full disk fails naming the node, the database and what to do; no half database is left', async () => {
    const out = await tmpfs(dir, 'full-duckdb', '512k');
    const file = path.join(out, 'o.duckdb');
    const s = await go('sink.duckdb', { database: file, table: 't' });
    expect(s.status).toBe('failed');
    expect(s.error!.message).toContain(`node 'dst': cannot write ${file} (table main.t): the disk is full`);
    expect(s.error!.hint).toContain(`free space on the disk holding ${out}`);
    expect(await listing(out)).toEqual([]);
  });

  it('a read-only destination folder fails naming the node, the target and what to do', async () => {
    const out = await tmpfs(dir, 'ro-dest', '1m', { ro: true });
    const target = path.join(out, 'o.csv');
    const s = await go('sink.csv', { path: target });
    expect(s.status).toBe('failed');
    expect(s.error!.message).toContain(`node 'dst': cannot write ${target}: the file system is read-only`);
    expect(s.error!.hint).toContain(`make ${out} writable or choose another path`);
  });
});
