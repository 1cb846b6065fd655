/** IPC channel names shared by the main process and the preload. */
export const INVOKE_CHANNEL = 'caudal:invoke';
export const EVENT_CHANNEL = 'caudal:event';
