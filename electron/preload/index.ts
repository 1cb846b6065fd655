/**
 * The renderer's only door to the host: `window.caudal` with exactly the HostTransport primitives
 * (invoke a contract method, subscribe to events). Runs sandboxed with context isolation; the
 * main process validates every call.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../channels.js';

const METHOD = /^[a-z]+\.[A-Za-z]+$/;

contextBridge.exposeInMainWorld('caudal', {
  invoke(method: unknown, input: unknown): Promise<unknown> {
    if (typeof method !== 'string' || !METHOD.test(method)) return Promise.reject(new Error(`'${String(method)}' is not a host method name`));
    return ipcRenderer.invoke(INVOKE_CHANNEL, method, input);
  },
  subscribe(listener: unknown): () => void {
    if (typeof listener !== 'function') throw new Error('subscribe needs a function');
    const handler = (_event: IpcRendererEvent, message: unknown) => (listener as (m: unknown) => void)(message);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, handler);
  },
});
