import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RotatingFile } from './log.js';

describe('the scheduler log file', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'caudal-log-'));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('comes back when its folder is deleted while the scheduler runs, instead of losing every later line', () => {
    const file = path.join(root, '.caudal', 'scheduler', 'scheduler.log');
    const log = new RotatingFile(file, 1024, 2);
    log.write('one\n');
    rmSync(path.join(root, '.caudal'), { recursive: true, force: true });
    log.write('two\n');
    expect(readFileSync(file, 'utf8')).toBe('two\n');
    // Rotation goes on from the new file's size.
    for (let i = 0; i < 300; i++) log.write(`line ${i}\n`);
    expect(readFileSync(file, 'utf8').length).toBeLessThanOrEqual(1024);
  });
});
