import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createNodeHost } from '../host/node-host.js';
import { startHttpServer } from '../host/http-server.js';
import { CaudalError } from '../util/errors.js';
import { packageRoot } from '../util/package-root.js';
import { parse } from './args.js';
import { EXIT } from './exit-codes.js';
import { checkPipelineFile } from './pipeline-file.js';

export const DEFAULT_SERVE_PORT = 4817;

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

function parsePort(v: string | undefined): number {
  if (v === undefined) return DEFAULT_SERVE_PORT;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CaudalError('usage', `--port expects a port number (0 picks a free one), got "${v}"`);
  return n;
}

function startBrowser(target: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [target]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', target]] : ['xdg-open', [target]];
  const child = spawn(cmd as string, args as string[], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}

const escapeAttribute = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * Opens the studio in the user's browser without putting the token on a command line: any local
 * user can read a process's arguments (ps, /proc/<pid>/cmdline), and the browser started with the
 * URL keeps it there for as long as it runs. The browser gets a page only this user can read that
 * sends it on to the URL (as Jupyter does). Returns what removes the page once the server stops.
 */
async function openBrowser(url: string): Promise<() => Promise<void>> {
  // mkdtemp makes the folder 0700; the page inside is 0600.
  const folder = await mkdtemp(path.join(os.tmpdir(), 'caudal-open-'));
  const page = path.join(folder, 'open-studio.html');
  const href = escapeAttribute(url);
  const html = `<!doctype html>\n<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${href}"><title>Caudal studio</title></head>\n<body><p><a href="${href}">Open the Caudal studio</a></p></body></html>\n`;
  await writeFile(page, html, { mode: 0o600 });
  startBrowser(page);
  return () => rm(folder, { recursive: true, force: true });
}

/**
 * `caudal serve [pipeline.json] [--port N] [--open]`: the studio in a browser, optionally with a file open. Listens on 127.0.0.1 only, prints
 * the URL with its access token and serves until Ctrl-C. Pipelines without a file resolve paths
 * against the current folder.
 */
export async function serveCommand(args: string[], io: Io, opts: { signal?: AbortSignal } = {}): Promise<number> {
  const { values, positionals } = parse(args, { positionals: 1, only: ['port', 'open', 'quiet'], command: 'serve', takes: 'one pipeline file to open' });
  const port = parsePort(values.port);
  const file = positionals[0] === undefined ? undefined : await checkPipelineFile(positionals[0]);
  if (file && !existsSync(file)) throw new CaudalError('usage', `no pipeline file ${file}`, { hint: 'caudal serve [pipeline.json] opens that file in the studio' });
  const service = createNodeHost({ mode: 'browser', workspaceDir: process.cwd() });
  const staticDir = process.env.CAUDAL_RENDERER_DIR ?? path.join(packageRoot(), 'out', 'renderer');
  let server;
  try {
    server = await startHttpServer({ service, port, staticDir });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new CaudalError('usage', `port ${port} is in use`, { hint: 'pick another with --port N, or --port 0 for a free one' });
    throw e;
  }
  const url = file ? `${server.url}&open=${encodeURIComponent(file)}` : server.url;
  io.stdout.write(`Caudal studio: ${url}\n`);
  if (!values.quiet) io.stderr.write('Listening on 127.0.0.1 only; the token in the URL is required. Press Ctrl-C to stop.\n');
  const removePage = values.open ? await openBrowser(url) : undefined;
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    opts.signal?.addEventListener('abort', stop, { once: true });
  });
  // Closing the server closes the requests waiting for previews, which cancels them; dispose
  // cancels what is left (runs, profiles) and waits for their workers: a worker still running a
  // query would keep the process alive after this returns.
  await server.close();
  await removePage?.();
  await service.dispose();
  return EXIT.ok;
}
