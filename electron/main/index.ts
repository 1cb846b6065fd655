/**
 * The desktop shell (DESIGN.md §1): one window, one IPC handler bound to core's HostService,
 * native dialogs and app folders given to core as ports. No engine logic lives here.
 */
import { app, BrowserWindow, dialog, ipcMain, session, shell, type IpcMainInvokeEvent } from 'electron';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { HostEventMessage } from '../../core/src/host-api/contract.js';
import type { createNodeHost as CreateNodeHost } from '../../core/src/host/node-host.js';
import type { DialogPort } from '../../core/src/host/ports.js';
import { INVOKE_CHANNEL, EVENT_CHANNEL } from '../channels.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The Caudal package folder (dev checkout or the packaged app), found by walking up from here. */
function packageDir(): string {
  for (let dir = here; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'caudal') return dir;
    if (path.dirname(dir) === dir) throw new Error('cannot find the caudal package folder');
  }
}

/**
 * Core runs from its tsc build (dist/core), not from this bundle: its engine starts worker threads
 * from files next to its own modules, which bundling would break.
 */
async function loadCore(): Promise<{ createNodeHost: typeof CreateNodeHost }> {
  const entry = path.join(packageDir(), 'dist', 'core', 'src', 'host', 'node-host.js');
  if (!existsSync(entry)) throw new Error(`core is not built (${entry} is missing): run \`npm run build\``);
  return import(pathToFileURL(entry).href);
}

function dialogs(window: () => BrowserWindow | undefined): DialogPort {
  return {
    async openFile({ title, filters, defaultPath }) {
      const win = window();
      const opts = { title, filters, defaultPath, properties: ['openFile' as const] };
      const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    async saveFile({ title, filters, defaultPath }) {
      const win = window();
      const r = win ? await dialog.showSaveDialog(win, { title, filters, defaultPath }) : await dialog.showSaveDialog({ title, filters, defaultPath });
      return r.canceled || !r.filePath ? null : r.filePath;
    },
  };
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

async function start(): Promise<void> {
  await app.whenReady();
  const { createNodeHost } = await loadCore();
  let win: BrowserWindow | undefined;
  const workspaceDir = path.join(app.getPath('documents'), 'Caudal');
  mkdirSync(workspaceDir, { recursive: true });
  const service = createNodeHost({ mode: 'electron', workspaceDir, dialogs: dialogs(() => win), userDataDir: app.getPath('userData') });

  const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
  const indexFile = path.join(here, '..', 'renderer', 'index.html');
  const indexUrl = pathToFileURL(indexFile).href;
  /** Our page: the dev server, or the built index.html with any query or hash. */
  const trusted = (url: string) => (devUrl ? url.startsWith(devUrl) : url === indexUrl || url.startsWith(`${indexUrl}?`) || url.startsWith(`${indexUrl}#`));

  // Only our own page may call the host.
  ipcMain.handle(INVOKE_CHANNEL, (event: IpcMainInvokeEvent, method: unknown, input: unknown) => {
    if (!event.senderFrame || !trusted(event.senderFrame.url)) return { ok: false, error: { kind: 'usage', message: 'this page may not call the Caudal host' } };
    if (typeof method !== 'string') return { ok: false, error: { kind: 'usage', message: 'a host method name is a string' } };
    return service.call(method, input);
  });
  service.subscribe((m: HostEventMessage) => win?.webContents.send(EVENT_CHANNEL, m));

  // The built page also carries the CSP in a meta tag; the dev server (HMR) needs inline scripts.
  if (!devUrl)
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
    });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));

  win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Caudal',
    show: false,
    webPreferences: {
      preload: path.join(here, '..', 'preload', 'index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  win.once('ready-to-show', () => win?.show());
  // Links open in the user's browser; the window itself never navigates away from the studio.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!trusted(url)) event.preventDefault();
  });
  // The page cancels its unload while there are unsaved changes (beforeunload). Electron shows no
  // question for that: the window would just stay open, unexplained. Ask here instead.
  win.webContents.on('will-prevent-unload', (event) => {
    const choice = dialog.showMessageBoxSync(win!, {
      type: 'warning',
      title: 'Unsaved changes',
      message: 'This pipeline has changes that are not saved.',
      detail: 'Closing discards them. Keep editing to save them first.',
      buttons: ['Discard changes', 'Keep editing'],
      defaultId: 1,
      cancelId: 1,
    });
    if (choice === 0) event.preventDefault();
  });
  win.on('closed', () => (win = undefined));

  const openArg = process.argv.slice(1).find((a) => a.endsWith('.json') && existsSync(a));
  const query = openArg ? { open: path.resolve(openArg) } : undefined;
  if (devUrl) await win.loadURL(query ? `${devUrl}?open=${encodeURIComponent(query.open)}` : devUrl);
  else await win.loadFile(indexFile, query ? { query } : undefined);

  app.on('window-all-closed', () => app.quit());
  // Cancel running runs (their sinks roll back) and let their records be written before exiting.
  let disposed = false;
  app.on('before-quit', (event) => {
    if (disposed) return;
    event.preventDefault();
    // The window closes first: with unsaved changes the user may keep it open, and then the host
    // must still be there. Once it is closed, window-all-closed quits again and lands below.
    if (win) {
      win.close();
      return;
    }
    disposed = true;
    void service.dispose().finally(() => app.quit());
  });
}

start().catch((e: unknown) => {
  dialog.showErrorBox('Caudal could not start', e instanceof Error ? e.message : String(e));
  app.exit(1);
});
