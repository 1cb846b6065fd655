/**
 * File paths in node params: Browse (the native dialog in the desktop app, the host's file browser
 * in a browser), paths kept relative to the pipeline's folder, and "did you mean" for a file that
 * does not exist.
 */
import { host } from '../host-access.js';
import { useDocument } from '../store/document.js';
import { useUi } from '../store/ui.js';
import { appInfo } from './app-info.js';

const FILE_KINDS = new Set(['csv', 'json', 'parquet', 'duckdb']);

/** The folder relative paths start at: the pipeline file's, or the host's workspace for an unsaved one. */
export function baseDir(): string {
  const p = useDocument.getState().path;
  if (p) return dirname(p);
  return appInfo()?.workspaceDir ?? '';
}

export function dirname(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i > 0 ? p.slice(0, i) : i === 0 ? p.slice(0, 1) : '';
}

export function basename(p: string): string {
  return p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
}

function isAbsolute(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p);
}

export function joinPath(dir: string, rel: string): string {
  if (!dir || isAbsolute(rel)) return rel;
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  const parts = `${dir}${sep}${rel}`.split(/[\\/]/);
  const out: string[] = [];
  for (const part of parts) {
    if (part === '..' && out.length > 1) out.pop();
    else if (part !== '.' && !(part === '' && out.length > 0)) out.push(part);
  }
  return out.join(sep) || sep;
}

/** `base/data/x.csv` → `data/x.csv`; paths outside the folder stay absolute. */
export function relativeTo(dir: string, file: string): string {
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/\/+$/, '');
  const d = norm(dir);
  const f = norm(file);
  return d && f.startsWith(`${d}/`) ? f.slice(d.length + 1) : file;
}

/** The file extensions a node's path field takes, from its type (`source.csv` → csv). */
export function extensionsFor(nodeType: string): string[] | undefined {
  const kind = nodeType.split('.').pop() ?? '';
  return FILE_KINDS.has(kind) ? [kind] : undefined;
}

/** Opens the right picker for a path field and writes the chosen file (relative when it can be). */
export async function browseForPath(opts: { nodeType: string; category: string; current: string; label: string; onPick(value: string): void }): Promise<void> {
  const dir = baseDir();
  const extensions = extensionsFor(opts.nodeType);
  const mode = opts.category === 'sink' ? 'save' : 'open';
  const pick = (abs: string) => opts.onPick(relativeTo(dir, abs));
  if (appInfo()?.nativeDialogs) {
    const r = await host()['fs.pick']({ mode, title: opts.label, extensions, defaultPath: opts.current ? joinPath(dir, opts.current) : dir });
    if (r.path) pick(r.path);
    return;
  }
  useUi.getState().openBrowse({ title: `Choose ${opts.label.toLowerCase()}`, mode, extensions, initial: opts.current, baseDir: dir, onPick: pick });
}

/** Edit distance, for "did you mean". */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The closest name among `names` (case-insensitive), if close enough to be a typo. */
export function closest(name: string, names: string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const n of names) {
    if (n === name) continue;
    const d = distance(name.toLowerCase(), n.toLowerCase());
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best !== null && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

/** A file next to the one typed whose name is close to it (the folder as typed is kept). */
export async function suggestPath(value: string): Promise<string | null> {
  if (/[*?[]/.test(value) || value.includes('${')) return null;
  const abs = joinPath(baseDir(), value);
  try {
    const { entries } = await host()['fs.list']({ dir: dirname(abs) || '/' });
    const match = closest(basename(value), entries.filter((e) => e.kind === 'file').map((e) => e.name));
    if (!match) return null;
    const typedDir = dirname(value);
    return typedDir ? `${typedDir}/${match}` : match;
  } catch {
    return null;
  }
}
