import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFolderOption } from './folder-option.js';
import { runCommand } from './run.js';
import type { Io } from './io.js';

const quietIo = (): Io => ({ stdout: { write: () => true } as unknown as NodeJS.WriteStream, stderr: { write: () => true } as unknown as NodeJS.WriteStream });

describe('folder options (--artifacts-dir, --state-dir)', () => {
  it('accept a folder that exists or can be created', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-folder-opt-'));
    await expect(checkFolderOption('--artifacts-dir', dir)).resolves.toBeUndefined();
    await expect(checkFolderOption('--artifacts-dir', path.join(dir, 'new', 'deeper'))).resolves.toBeUndefined();
    await expect(checkFolderOption('--artifacts-dir', undefined)).resolves.toBeUndefined();
  });

  it('refuse a file, or a path inside a file, saying the option must be a folder', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-folder-opt-'));
    const file = path.join(dir, 'notadir');
    await writeFile(file, 'keep me');
    await expect(checkFolderOption('--artifacts-dir', file)).rejects.toMatchObject({ kind: 'usage', message: `--artifacts-dir must be a folder: ${file} is a file` });
    await expect(checkFolderOption('--state-dir', path.join(file, 'sub'))).rejects.toMatchObject({ kind: 'usage', message: expect.stringMatching(/^--state-dir must be a folder: .*notadir is a file/) });
  });

  it('caudal run --artifacts-dir <a file>: a usage error before anything runs, the file untouched', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-folder-opt-'));
    const p = path.join(dir, 'p.json');
    await writeFile(p, JSON.stringify({ format: 'caudal.pipeline/1', name: 't', nodes: [{ id: 'n', type: 'transform.sql', params: { query: 'SELECT 1 AS x' } }], edges: [] }));
    const file = path.join(dir, 'notadir');
    await writeFile(file, 'keep me');
    await expect(runCommand([p, '--artifacts-dir', file], quietIo())).rejects.toMatchObject({ kind: 'usage', message: `--artifacts-dir must be a folder: ${file} is a file` });
    expect(await readFile(file, 'utf8')).toBe('keep me');
  });
});
