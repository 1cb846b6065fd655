import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveCommand } from '../core/src/cli/serve.js';
import { tempDir } from './support/pipeline.js';

/**
 * `caudal serve --open` on a machine shared with other users: the browser is started by a real
 * process (a stand-in `xdg-open` on PATH that records its arguments), and every local user can read
 * a process's arguments (`ps`, /proc/<pid>/cmdline) for as long as it runs, a browser for hours.
 */

let dir: string;
const savedPath = process.env.PATH;
const savedRenderer = process.env.CAUDAL_RENDERER_DIR;

beforeAll(async () => {
  dir = await tempDir('caudal-serve-open-');
  const opener = path.join(dir, 'bin', 'xdg-open');
  await mkdir(path.dirname(opener), { recursive: true });
  await writeFile(opener, `#!/bin/sh\nprintf '%s\\n' "$@" > "${path.join(dir, 'opened.txt')}.tmp" && mv "${path.join(dir, 'opened.txt')}.tmp" "${path.join(dir, 'opened.txt')}"\n`);
  await chmod(opener, 0o755);
  process.env.PATH = `${path.dirname(opener)}:${savedPath ?? ''}`;
  process.env.CAUDAL_RENDERER_DIR = path.join(dir, 'no-renderer');
});

afterAll(() => {
  process.env.PATH = savedPath;
  if (savedRenderer === undefined) delete process.env.CAUDAL_RENDERER_DIR;
  else process.env.CAUDAL_RENDERER_DIR = savedRenderer;
});

async function waitForFile(file: string, ms = 10_000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text !== null) return text;
    if (Date.now() > until) throw new Error(`${file} did not appear in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('caudal serve --open', () => {
  it('hands the browser a private file that leads to the studio, never the token on a command line', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } } as unknown as Parameters<typeof serveCommand>[1];
    const stop = new AbortController();
    const serving = serveCommand(['--port', '0', '--open'], io, { signal: stop.signal });

    const args = (await waitForFile(path.join(dir, 'opened.txt'))).trim().split('\n');
    const printed = /^Caudal studio: (http:\/\/127\.0\.0\.1:\d+\/\?token=([\w-]+))\n$/.exec(out.join(''));
    expect(printed).not.toBeNull();
    const [, url, token] = printed!;
    expect(err.join('')).toContain('Listening on 127.0.0.1 only');

    expect(args).toHaveLength(1);
    expect(args[0]).not.toContain(token);
    const page = args[0]!;
    // Readable by this user only, in a folder only this user can enter.
    expect((await stat(page)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(page))).mode & 0o777).toBe(0o700);
    const html = await readFile(page, 'utf8');
    expect(html).toContain(`<meta http-equiv="refresh" content="0;url=${url!.replace(/&/g, '&amp;')}">`);

    stop.abort();
    expect(await serving).toBe(0);
    // Gone with the server: the token in it opens nothing any more.
    await expect(stat(page)).rejects.toThrow(/ENOENT/);
  });
});
