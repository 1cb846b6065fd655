import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../core/src/util/package-root.js';
import { tempDir } from './support/pipeline.js';

/**
 * `caudal run` in a container that is restarted after its process was killed (kill -9, the OOM
 * killer): the new process has the same hostname and, the container's processes starting in the
 * same order, the same pid as the one killed. Its lock and commit journal must still be recognized
 * as the killed run's (taken over and recovered), not as its own. Each run here gets a pid
 * namespace of its own (`unshare`, which needs root: skipped where it cannot run), where `sh` is
 * pid 1 and caudal pid 2 every time.
 */
const canUnshare = process.platform === 'linux' && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0;
const bin = path.join(packageRoot(), 'bin/caudal.js');

/** `sh -c <command>; echo exit=$?` as pid 1 of a new pid namespace (its init: SIGKILL from inside does not reach it), so the command is pid 2. */
function inFreshPidNamespace(command: string, dir: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', `${command}; echo "exit=$?" >&2`], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', () => resolve({ code: Number(/exit=(\d+)/.exec(stderr)?.[1] ?? NaN), stdout, stderr })));
}

const node = JSON.stringify(process.execPath);
const runCaudal = (dir: string, env: NodeJS.ProcessEnv) => inFreshPidNamespace(`${node} ${JSON.stringify(bin)} run pipeline.json -q`, dir, env);

describe.runIf(canUnshare)('a container restarted after its caudal was killed (same hostname, same pid)', () => {
  it('the next run takes over the killed run\'s lock, undoes its commit and replaces the file, leaving nothing behind', async () => {
    const dir = await tempDir('caudal-container-');
    await mkdir(path.join(dir, 'out'));
    const env = { CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime'), CAUDAL_CONFIG_DIR: path.join(dir, 'config'), TMPDIR: dir };
    const doc = {
      format: 'caudal.pipeline/1',
      name: 'restart',
      params: {},
      connections: {},
      nodes: [
        { id: 'src', type: 'transform.sql', params: { query: "SELECT 1 AS id, 'new' AS v" } },
        { id: 'out', type: 'sink.csv', params: { path: 'out/data.csv', if_exists: 'overwrite' } },
      ],
      edges: [{ from: 'src:out', to: 'out:in' }],
    };
    await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(doc));
    // What the container gives caudal each time it starts.
    expect((await inFreshPidNamespace(`${node} -e 'console.log(process.pid)'`, dir, env)).stdout.trim()).toBe('2');

    // Killed while staging, while publishing (the new file renamed into place, the old one kept
    // aside) and after the commit decision: the lock and journal stay behind each time.
    for (const point of ['after-stage', 'after-reversible', 'after-decision']) {
      await writeFile(path.join(dir, 'out/data.csv'), 'id,v\n0,old\n');
      const killed = await runCaudal(dir, { ...env, CAUDAL_FAILPOINT: point });
      expect(killed.code, point).toBe(137);
      expect((await readdir(path.join(env.CAUDAL_RUNTIME_DIR, 'locks'))).length, point).toBeGreaterThan(0);

      // The container starts again: caudal is pid 2 again, on the same host.
      const next = await runCaudal(dir, env);
      expect(next.stderr, point).not.toMatch(/in use by another run/);
      expect(next.code, point).toBe(0);
      expect(await readFile(path.join(dir, 'out/data.csv'), 'utf8'), point).toBe('id,v\n1,new\n');
      expect((await readdir(path.join(dir, 'out'))).sort(), point).toEqual(['data.csv']);
      expect(await readdir(path.join(env.CAUDAL_RUNTIME_DIR, 'locks')), point).toEqual([]);
      // The killed run's temp folder (TMPDIR is the test's folder) was removed by the recovery.
      expect((await readdir(dir)).filter((n) => n.startsWith('caudal-run-')), point).toEqual([]);
    }
  }, 60_000);
});
