/** Browser mode has no native dialogs: pick a pipeline file on the host with fs.list, or type a path. */
import { useEffect, useState } from 'react';
import { host, errorText } from '../host-access.js';
import { useUi } from '../store/ui.js';
import { useDocument } from '../store/document.js';
import { exportPipeline, openPipeline, saveAs } from './file.js';
import { appInfo } from './app-info.js';
import { joinPath } from './paths.js';

type Listing = { dir: string; parent: string | null; entries: Array<{ name: string; path: string; kind: 'dir' | 'file' }> };

function dirOf(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i > 0 ? p.slice(0, i) : p;
}

export function FileDialog({ mode }: { mode: 'open' | 'saveAs' | 'export' }) {
  const close = useUi((s) => s.closeDialog);
  const docPath = useDocument((s) => s.path);
  const docName = useDocument((s) => s.doc.name);
  const [listing, setListing] = useState<Listing | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The suggested path is set once, synchronously: an answer arriving later must never overwrite what the user typed.
  const [path, setPath] = useState(() => {
    if (mode === 'open') return '';
    const dir = docPath ? dirOf(docPath) : (appInfo()?.workspaceDir ?? '');
    const name = `${docName.replace(/[^A-Za-z0-9_-]+/g, '_').toLowerCase()}${mode === 'export' ? '.export' : ''}.json`;
    return dir ? `${dir}/${name}` : name;
  });
  const list = async (dir?: string) => {
    try {
      const l = await host()['fs.list']({ dir, extensions: ['.json'] });
      setListing(l);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  };
  useEffect(() => {
    void list(docPath ? dirOf(docPath) : undefined);
    // Only on open: later navigation calls list() itself.
  }, []);
  const submit = async () => {
    if (!path.trim()) return;
    const ok = mode === 'open' ? await openPipeline(path.trim()) : mode === 'saveAs' ? await saveAs(path.trim()) : await exportPipeline('json', path.trim());
    if (ok) close();
  };
  const title = mode === 'open' ? 'Open pipeline' : mode === 'saveAs' ? 'Save pipeline as' : 'Export pipeline JSON';
  return (
    <div className="modal-backdrop" onMouseDown={close}>
      <div className="modal" role="dialog" aria-label={title} onMouseDown={(e) => e.stopPropagation()}>
        <h2>{title}</h2>
        {listing && (
          <div className="file-browser">
            <div className="muted small">{listing.dir}</div>
            <ul>
              {listing.parent && (
                <li>
                  <button className="link" onClick={() => void list(listing.parent!)}>
                    ⬆ ..
                  </button>
                </li>
              )}
              {listing.entries.map((e) => (
                <li key={e.path}>
                  <button
                    className="link"
                    onClick={() => (e.kind === 'dir' ? (void list(e.path), mode !== 'open' && setPath((p) => `${e.path}/${p.split(/[\\/]/).pop() ?? ''}`)) : setPath(e.path))} onDoubleClick={() => e.kind === 'file' && mode === 'open' && void openPipeline(e.path).then((ok) => ok && close())}>
                    {e.kind === 'dir' ? '📁 ' : '📄 '}
                    {e.name}
                  </button>
                </li>
              ))}
            </ul>
          </div>
        )}
        {error && <div className="field-error">{error}</div>}
        <label>
          File path
          <input aria-label="File path" value={path} onChange={(e) => setPath(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && void submit()} autoFocus />
        </label>
        <div className="modal-actions">
          <button onClick={close}>Cancel</button>
          <button className="primary" onClick={() => void submit()}>
            {mode === 'open' ? 'Open' : mode === 'saveAs' ? 'Save' : 'Export'}
          </button>
        </div>
      </div>
    </div>
  );
}

/** Browser mode's Browse… for a path field: the host's folders, filtered by the field's file type. */
export function BrowseDialog() {
  const close = useUi((s) => s.closeDialog);
  const req = useUi((s) => s.browse);
  const [listing, setListing] = useState<Listing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [path, setPath] = useState(() => (req?.initial ? joinPath(req.baseDir, req.initial) : ''));
  const list = async (dir?: string) => {
    try {
      setListing(await host()['fs.list']({ dir, extensions: req?.extensions }));
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  };
  useEffect(() => {
    const start = req?.initial ? dirOf(joinPath(req.baseDir, req.initial)) : req?.baseDir;
    // A folder that does not exist (a typo) falls back to the pipeline's folder.
    void host()['fs.list']({ dir: start || undefined, extensions: req?.extensions }).then(setListing, () => void list(req?.baseDir || undefined));
  }, []);
  if (!req) return null;
  const pick = (p: string) => {
    req.onPick(p);
    close();
  };
  return (
    <div className="modal-backdrop" onMouseDown={close}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={req.title} onMouseDown={(e) => e.stopPropagation()}>
        <h2>{req.title}</h2>
        {listing && (
          <div className="file-browser">
            <div className="muted small">{listing.dir}</div>
            <ul aria-label="Files">
              {listing.parent && (
                <li>
                  <button className="link" onClick={() => void list(listing.parent!)}>
                    ⬆ ..
                  </button>
                </li>
              )}
              {listing.entries.map((e) => (
                <li key={e.path}>
                  <button
                    className="link"
                    onClick={() => (e.kind === 'dir' ? void list(e.path) : setPath(e.path))}
                    onDoubleClick={() => e.kind === 'file' && pick(e.path)}
                  >
                    {e.kind === 'dir' ? '📁 ' : '📄 '}
                    {e.name}
                  </button>
                </li>
              ))}
              {listing.entries.length === 0 && <li className="muted">No {req.extensions?.join(', ') ?? ''} files here.</li>}
            </ul>
          </div>
        )}
        {error && <div className="field-error">{error}</div>}
        <label>
          File path
          <input aria-label="File path" value={path} onChange={(e) => setPath(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && path.trim() && pick(path.trim())} />
        </label>
        <div className="modal-actions">
          <button onClick={close}>Cancel</button>
          <button className="primary" disabled={!path.trim()} onClick={() => pick(path.trim())}>
            Choose
          </button>
        </div>
      </div>
    </div>
  );
}
