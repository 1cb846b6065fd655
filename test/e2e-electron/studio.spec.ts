/**
 * The Electron shell end to end: the built app (out/main, out/preload, out/renderer) starts, the
 * sandboxed page sees only `window.caudal`, and contract calls and run events cross the IPC bridge.
 * Skips when the Electron binary is not installed (e.g. ELECTRON_SKIP_BINARY_DOWNLOAD=1).
 */
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The Electron binary's path, or null when only the npm package (no binary) is installed. */
function electronBinary(): string | null {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
test.skip(binary === null, 'the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD); see README "Testing the desktop shell"');

let app: ElectronApplication;
let home: string;
/** Set by the test that closes the window (and with it the app). */
let appClosed = false;

test.beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'out', 'main', 'index.js'))) throw new Error('run `npm run build && npm run build:studio` first');
  home = mkdtempSync(path.join(os.tmpdir(), 'caudal-electron-'));
  writeFileSync(path.join(home, 'data.csv'), 'a,b\n1,x\n2,y\n3,z\n');
  app = await electron.launch({
    executablePath: binary!,
    args: [path.join(ROOT, 'out', 'main', 'index.js'), ...(process.env.CI ? ['--no-sandbox'] : [])],
    cwd: ROOT,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), CAUDAL_CONFIG_DIR: path.join(home, 'config', 'caudal') },
  });
});

test.afterAll(async () => {
  if (!appClosed) await app?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

test('the window is sandboxed and exposes only window.caudal', async () => {
  const page = await app.firstWindow();
  const globals = await page.evaluate(() => ({
    caudal: Object.keys((window as unknown as { caudal: object }).caudal).sort(),
    require: typeof (window as unknown as { require?: unknown }).require,
    process: typeof (window as unknown as { process?: unknown }).process,
  }));
  expect(globals).toEqual({ caudal: ['invoke', 'subscribe'], require: 'undefined', process: 'undefined' });
  const prefs = await app.evaluate(({ BrowserWindow }) => {
    const wc = BrowserWindow.getAllWindows()[0]!.webContents;
    return (wc as unknown as { getLastWebPreferences(): Record<string, unknown> }).getLastWebPreferences();
  });
  expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
});

test('contract calls and run events cross the IPC bridge', async () => {
  const page = await app.firstWindow();
  const result = await page.evaluate(async (dir) => {
    const caudal = (window as unknown as { caudal: { invoke(m: string, i: unknown): Promise<{ ok: boolean; result?: unknown }>; subscribe(l: (m: { event: string; payload: { type?: string } }) => void): () => void } }).caudal;
    const info = await caudal.invoke('app.info', {});
    const seen: string[] = [];
    let finished!: () => void;
    const done = new Promise<void>((r) => (finished = r));
    const off = caudal.subscribe((m) => {
      if (m.event === 'run' && m.payload.type) seen.push(m.payload.type);
      if (m.payload.type === 'run_finished') finished();
    });
    const document = {
      format: 'caudal.pipeline/1',
      name: 'electron test',
      nodes: [
        { id: 'src', type: 'source.csv', params: { path: `${dir}/data.csv` } },
        { id: 'sink', type: 'sink.csv', params: { path: `${dir}/out.csv` } },
      ],
      edges: [{ from: 'src:out', to: 'sink:in' }],
    };
    const started = await caudal.invoke('run.start', { document, path: null });
    await done;
    off();
    return { info, started: started.ok, seen };
  }, home);
  expect(result.info).toMatchObject({ ok: true, result: { mode: 'electron', nativeDialogs: true } });
  expect(result.started).toBe(true);
  expect(result.seen[0]).toBe('run_started');
  expect(result.seen.at(-1)).toBe('run_finished');
  expect(existsSync(path.join(home, 'out.csv'))).toBe(true);
});

test('closing the window with unsaved changes asks; keep editing keeps it open, discard closes it', async () => {
  const page = await app.firstWindow();
  await page.getByTestId('doc-title').click();
  await page.getByLabel('Pipeline name').fill('Unsaved work');
  await expect(page.getByTestId('doc-title').locator('.dirty')).toHaveCount(1);
  // The native question is answered from the main process: first "Keep editing" (1), then "Discard changes" (0).
  await app.evaluate(({ dialog }) => {
    const answers = [1, 0];
    (globalThis as { asked?: string[] }).asked = [];
    dialog.showMessageBoxSync = ((...args: unknown[]) => {
      const options = args.find((a) => typeof a === 'object' && a !== null && 'message' in a) as { message: string };
      (globalThis as unknown as { asked: string[] }).asked.push(options.message);
      return answers.shift() ?? 1;
    }) as typeof dialog.showMessageBoxSync;
  });
  await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.close());
  await expect.poll(() => app.evaluate(() => (globalThis as { asked?: string[] }).asked?.length ?? 0)).toBe(1);
  expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
  await expect(page.getByTestId('doc-title')).toContainText('Unsaved work');

  const closed = app.waitForEvent('close');
  await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.close());
  await closed;
  appClosed = true;
});
