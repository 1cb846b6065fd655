/**
 * Fixtures: a temporary workspace, `caudal serve --port 0` started in it (the real CLI, the real
 * engine), and Debian's Chromium through launchPersistentContext with the flags DESIGN.md §7 lists.
 */
import { test as base, chromium, type BrowserContext, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeProfile } from '../support/chromium-profile.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = process.env.CAUDAL_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface Studio {
  url: string;
  workspace: string;
  process: ChildProcess;
}

/** Starts `caudal serve` in `workspace` and resolves with the URL it prints (token included). */
export async function startServe(workspace: string): Promise<Studio> {
  const bin = path.join(ROOT, 'bin', 'caudal.js');
  if (!existsSync(path.join(ROOT, 'out', 'renderer', 'index.html'))) throw new Error('The studio is not built: run `npm run build:studio` first.');
  // Connections the tests add go to the workspace, never to the user's own config.
  const env = { ...process.env, CAUDAL_CONFIG_DIR: path.join(workspace, '.config') };
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`caudal serve printed no URL in 30 s.\nstdout: ${out}\nstderr: ${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`caudal serve exited with ${code}.\nstdout: ${out}\nstderr: ${err}`));
    });
  });
  return { url, workspace, process: child };
}

export async function stopServe(studio: Studio): Promise<void> {
  if (studio.process.exitCode !== null) return;
  const exited = new Promise((r) => studio.process.once('exit', r));
  studio.process.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (studio.process.exitCode === null) studio.process.kill('SIGKILL');
}

/** A Chromium with its own profile folder; `close()` closes it and removes the folder. */
export async function launchChromium(viewport = { width: 1440, height: 900 }): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'caudal-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport, headless: true });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      await removeProfile(profile);
    },
  };
}

type Fixtures = { workspace: string; studio: Studio; studioPage: Page };

export const test = base.extend<Fixtures>({
  // Playwright reads a fixture's dependencies from its first parameter's destructuring: none is `{}`.
  // eslint-disable-next-line no-empty-pattern
  workspace: async ({}, use) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'caudal-e2e-'));
    await use(dir);
    rmSync(dir, { recursive: true, force: true });
  },
  studio: async ({ workspace }, use) => {
    const studio = await startServe(workspace);
    await use(studio);
    await stopServe(studio);
  },
  studioPage: async ({ studio }, use) => {
    const { page, close } = await launchChromium();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(studio.url);
    await use(page);
    await close();
    if (errors.length) throw new Error(`The page threw: ${errors.join('\n')}`);
  },
});

export { expect } from '@playwright/test';
