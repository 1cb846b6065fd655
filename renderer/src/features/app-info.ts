/** What the host said about itself at start-up (transport, dialogs, workspace folder). */
import type { MethodOutput } from '../../../core/src/host-api/contract.js';

export type AppInfo = MethodOutput<'app.info'>;
let info: AppInfo | null = null;

export function setAppInfo(i: AppInfo): void {
  info = i;
}

export function appInfo(): AppInfo | null {
  return info;
}
