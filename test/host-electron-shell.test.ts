import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { CallResult, HostEventMessage } from '../core/src/host-api/contract.js';
import { tempDir } from './support/pipeline.js';

/**
 * The Electron shell's wiring without the Electron binary (which CI cannot download): the real
 * electron/main and electron/preload modules against a recording stand-in for the `electron`
 * module. What only a real Electron can show (the sandbox, the bridge) is in test/e2e-electron.
 */
const fake = vi.hoisted(() => ({
  dir: '',
  handlers: new Map<string, (...args: unknown[]) => unknown>(),
  sent: [] as Array<{ channel: string; message: unknown }>,
  windows: [] as Array<{ webPreferences: Record<string, unknown> }>,
  loaded: [] as string[],
  exposed: new Map<string, Record<string, (...args: unknown[]) => unknown>>(),
  invoked: [] as unknown[][],
  dialogAnswer: '' as string,
  errors: [] as string[],
}));

vi.mock('electron', () => {
  const noop = () => undefined;
  class BrowserWindow {
    webContents = { send: (channel: string, message: unknown) => fake.sent.push({ channel, message }), setWindowOpenHandler: noop, on: noop };
    constructor(opts: { webPreferences: Record<string, unknown> }) {
      fake.windows.push(opts);
    }
    once = noop;
    on = noop;
    loadFile = async (file: string) => void fake.loaded.push(file);
    loadURL = async (url: string) => void fake.loaded.push(url);
  }
  return {
    app: { whenReady: async () => undefined, getPath: (name: string) => `${fake.dir}/${name}`, isPackaged: false, on: noop, quit: noop, exit: noop },
    BrowserWindow,
    dialog: {
      showOpenDialog: async () => ({ canceled: false, filePaths: [fake.dialogAnswer] }),
      showSaveDialog: async () => ({ canceled: true }),
      showErrorBox: (_t: string, message: string) => fake.errors.push(message),
    },
    ipcMain: { handle: (channel: string, fn: (...args: unknown[]) => unknown) => fake.handlers.set(channel, fn) },
    session: { defaultSession: { webRequest: { onHeadersReceived: noop }, setPermissionRequestHandler: noop } },
    shell: { openExternal: noop },
    contextBridge: { exposeInMainWorld: (key: string, api: Record<string, (...args: unknown[]) => unknown>) => fake.exposed.set(key, api) },
    ipcRenderer: { invoke: async (...args: unknown[]) => fake.invoked.push(args), on: noop, removeListener: noop },
  };
});

const root = path.resolve(import.meta.dirname, '..');
const indexUrl = pathToFileURL(path.join(root, 'electron', 'renderer', 'index.html')).href;
let invoke: (url: string, method: unknown, input: unknown) => Promise<CallResult>;

beforeAll(async () => {
  fake.dir = await tempDir('caudal-shell-');
  process.env.CAUDAL_CONFIG_DIR = path.join(fake.dir, 'config');
  delete process.env.ELECTRON_RENDERER_URL;
  await import('../electron/main/index.js');
  // Starting the shell loads the host and its connectors: seconds on a busy 2-core machine.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !fake.handlers.has('caudal:invoke') && fake.errors.length === 0) await new Promise((r) => setTimeout(r, 25));
  expect(fake.errors).toEqual([]);
  const handler = fake.handlers.get('caudal:invoke')!;
  invoke = async (url, method, input) => (await handler({ senderFrame: { url } }, method, input)) as CallResult;
}, 90_000);

describe('electron main', () => {
  it('opens one sandboxed, context-isolated window on the built renderer', () => {
    expect(fake.windows).toHaveLength(1);
    expect(fake.windows[0]!.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(String(fake.windows[0]!.webPreferences.preload)).toMatch(/preload[/\\]index\.cjs$/);
    // Main runs from out/main once built, so the renderer is out/renderer/index.html next to it.
    expect(fake.loaded).toEqual([path.join(root, 'electron', 'renderer', 'index.html')]);
  });

  it('serves the contract over its one IPC handler, to its own page only', async () => {
    expect(await invoke(indexUrl, 'app.info', {})).toMatchObject({ ok: true, result: { mode: 'electron', nativeDialogs: true, workspaceDir: path.join(fake.dir, 'documents', 'Caudal') } });
    expect(await invoke('https://evil.example/', 'app.info', {})).toMatchObject({ ok: false, error: { message: 'this page may not call the Caudal host' } });
    expect(await invoke(indexUrl, 42, {})).toMatchObject({ ok: false });
  });

  it('gives core native dialogs, and forwards run events to the window', async () => {
    const file = path.join(fake.dir, 'p.json');
    await writeFile(path.join(fake.dir, 'in.csv'), 'x\n1\n2\n');
    const doc = {
      format: 'caudal.pipeline/1',
      name: 'shell',
      nodes: [
        { id: 'src', type: 'source.csv', params: { path: 'in.csv' } },
        { id: 'out', type: 'sink.csv', params: { path: 'out.csv' } },
      ],
      edges: [{ from: 'src:out', to: 'out:in' }],
    };
    await writeFile(file, JSON.stringify(doc));
    fake.dialogAnswer = file;
    const opened = await invoke(indexUrl, 'pipeline.open', {});
    expect(opened).toMatchObject({ ok: true, result: { path: file, document: { name: 'shell' } } });
    const started = (await invoke(indexUrl, 'run.start', { document: doc, path: file })) as { ok: true; result: { runId: string } };
    for (let i = 0; i < 400 && !fake.sent.some((s) => (s.message as HostEventMessage).event === 'history.changed' && (s.message as { payload: { status: string } }).payload.status !== 'running'); i++)
      await new Promise((r) => setTimeout(r, 25));
    const events = fake.sent.filter((s) => s.channel === 'caudal:event').map((s) => s.message as HostEventMessage);
    expect(events.filter((e) => e.event === 'run').map((e) => (e.payload as { type: string }).type)).toContain('run_finished');
    expect(events.at(-1)).toMatchObject({ event: 'history.changed', payload: { runId: started.result.runId, status: 'succeeded' } });
    expect(await readFile(path.join(fake.dir, 'out.csv'), 'utf8')).toBe('x\n1\n2\n');
  });
});

describe('electron preload', () => {
  it('exposes exactly invoke and subscribe as window.caudal, forwarding valid method names only', async () => {
    await import('../electron/preload/index.js');
    const api = fake.exposed.get('caudal')!;
    expect(Object.keys(api).sort()).toEqual(['invoke', 'subscribe']);
    await api.invoke!('pipeline.open', { path: '/x.json' });
    expect(fake.invoked).toEqual([['caudal:invoke', 'pipeline.open', { path: '/x.json' }]]);
    await expect(api.invoke!('../../etc', {})).rejects.toThrow(/not a host method name/);
    expect(typeof api.subscribe!(() => undefined)).toBe('function');
  });
});
