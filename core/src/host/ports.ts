/**
 * What the HostService needs from its surroundings, so the same service runs in Electron (native
 * dialogs, app paths), in `caudal serve` (no dialogs: the browser passes paths) and in tests.
 */

export interface FileFilter {
  name: string;
  /** Extensions without the dot, e.g. ['json']. */
  extensions: string[];
}

export interface DialogPort {
  /** Asks for an existing file; null when the user cancels. */
  openFile(opts: { title: string; filters: FileFilter[]; defaultPath?: string }): Promise<string | null>;
  /** Asks where to write; null when the user cancels. */
  saveFile(opts: { title: string; filters: FileFilter[]; defaultPath?: string }): Promise<string | null>;
}

export interface HostPaths {
  /** Where the host keeps its own small files (recent files list). */
  userDataDir: string;
  /** Folder for unsaved pipelines: relative paths resolve here and their runs are kept here. */
  workspaceDir: string;
  homeDir: string;
}
