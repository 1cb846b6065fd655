/** File menu, edit and view commands, run controls. */
import { useEffect, useRef, useState } from 'react';
import { useReactFlow } from '@xyflow/react';
import { isDirty, useDocument } from '../store/document.js';
import { useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import { host } from '../host-access.js';
import { autoLayout } from '../canvas/actions.js';
import { exportPipeline, guardDirty, newPipeline, openPipeline, save, saveAs } from './file.js';
import { cancelRun, exactCounts, requestRun, setExactCounts, stopRun } from './runs.js';
import { hasStreamingSource } from './continuous.js';
import { appInfo } from './app-info.js';
import { ProblemsButton, useClickOutside } from './ProblemsButton.js';
import { fitGraph } from '../canvas/Canvas.js';

function FileMenu() {
  const [open, setOpen] = useState(false);
  const [recent, setRecent] = useState<Array<{ path: string; name: string }>>([]);
  const openDialog = useUi((s) => s.openDialog);
  const box = useRef<HTMLDivElement>(null);
  useClickOutside(box, open, () => setOpen(false));
  useEffect(() => {
    if (open) void host()['pipeline.recent']({}).then((r) => setRecent(r.files)).catch(() => setRecent([]));
  }, [open]);
  const item = (label: string, action: () => void, shortcut?: string) => (
    <button
      role="menuitem"
      onClick={() => {
        setOpen(false);
        action();
      }}
    >
      {label}
      {shortcut && <kbd>{shortcut}</kbd>}
    </button>
  );
  const native = appInfo()?.nativeDialogs ?? false;
  return (
    <div className="menu" ref={box}>
      <button aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        File
      </button>
      {open && (
        <div className="menu-items" role="menu">
          {item('New', () => guardDirty(() => void newPipeline()), 'Ctrl+Alt+N')}
          {item('Open…', () => guardDirty(() => (native ? void openPipeline() : openDialog('open'))), 'Ctrl+O')}
          {item('Save', () => void save(native), 'Ctrl+S')}
          {item('Save as…', () => (native ? void saveAs() : openDialog('saveAs')), 'Ctrl+Shift+S')}
          {item('Open an example…', () => openDialog('examples'))}
          {item('Export pipeline JSON…', () => (native ? void exportPipeline('json') : openDialog('export')))}
          {item('Connections…', () => openDialog('connections'))}
          {item('Schedules…', () => openDialog('schedules'))}
          {recent.length > 0 && <div className="menu-sep">Recent</div>}
          {recent.slice(0, 8).map((r) => (
            <span key={r.path}>{item(`${r.name} — ${r.path}`, () => guardDirty(() => void openPipeline(r.path)))}</span>
          ))}
        </div>
      )}
    </div>
  );
}

/** Clicking the title shows the pipeline's settings (name, description) in the inspector. */
function renamePipeline(): void {
  useUi.getState().select([]);
  useUi.getState().setPanels({ inspectorOpen: true });
  setTimeout(() => document.querySelector<HTMLInputElement>('input[aria-label="Pipeline name"]')?.select(), 0);
}

function Icon({ d }: { d: string }) {
  return (
    <svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d={d} />
    </svg>
  );
}

export function Toolbar() {
  const docName = useDocument((s) => s.doc.name);
  const path = useDocument((s) => s.path);
  const dirty = useDocument(isDirty);
  const canUndo = useDocument((s) => s.canUndo);
  const canRedo = useDocument((s) => s.canRedo);
  const run = useResults((s) => s.run);
  const nodes = useDocument((s) => s.doc.nodes);
  const typeMap = useResults((s) => s.typeMap);
  const streaming = hasStreamingSource(nodes, typeMap);
  const selected = useUi((s) => s.selectedNodes);
  const openDialog = useUi((s) => s.openDialog);
  const rf = useReactFlow();
  const [counts, setCounts] = useState(exactCounts);
  const running = run?.status === 'running';
  return (
    <header className="toolbar">
      <span className="brand">Caudal</span>
      <FileMenu />
      <button type="button" className="doc-title" data-testid="doc-title" title={`${path ?? 'Not saved yet'}\nClick to rename`} onClick={renamePipeline}>
        <span className="doc-name">{docName}</span>
        {dirty && (
          <span className="dirty" aria-label="unsaved changes">
            {' '}
            ●
          </span>
        )}
        <span className="doc-path"> {path ?? 'unsaved'}</span>
      </button>
      <div className="spacer" />
      <div className="tool-group" role="group" aria-label="Edit">
        <button className="icon-button" onClick={() => useDocument.getState().undo()} disabled={!canUndo} title="Undo (Ctrl+Z)" aria-label="Undo">
          <Icon d="M9 14L4 9l5-5M4 9h10a6 6 0 010 12h-3" />
        </button>
        <button className="icon-button" onClick={() => useDocument.getState().redo()} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)" aria-label="Redo">
          <Icon d="M15 14l5-5-5-5M20 9H10a6 6 0 000 12h3" />
        </button>
        <button className="icon-button" onClick={() => void autoLayout()} title="Arrange nodes (L)" aria-label="Auto-layout">
          <Icon d="M4 5h6v5H4zM14 14h6v5h-6zM10 7.5h2a2 2 0 012 2v4.5a2 2 0 002 2" />
        </button>
        <button className="icon-button" onClick={() => fitGraph(rf)} title="Zoom to fit (F)" aria-label="Fit">
          <Icon d="M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5" />
        </button>
      </div>
      <ProblemsButton />
      {running && run.watch ? (
        <>
          <span className="live-pill" data-testid="live-pill" title="Running continuously: each micro-batch is committed before the next">
            ● {run.stopping ? 'stopping…' : 'live'}
            {run.live && run.live.committed > 0 && ` · ${run.live.committed.toLocaleString('en-US')} batch${run.live.committed === 1 ? '' : 'es'}`}
          </span>
          <button className="danger" disabled={run.stopping} onClick={() => void stopRun()} title="Finish and commit the current batch, then end the run">
            Stop
          </button>
        </>
      ) : running ? (
        <button className="danger" onClick={() => void cancelRun()}>
          Cancel run
        </button>
      ) : (
        <>
          <label className="inline small counts" title="Materialize every node so each shows its row count (slower on big data). Off: streaming steps run fused and only materialized steps and sinks report counts.">
            <input
              type="checkbox"
              aria-label="Count rows at every step"
              checked={counts}
              onChange={(e) => {
                setExactCounts(e.target.checked);
                setCounts(e.target.checked);
              }}
            />
            count every step
          </label>
          <button disabled={selected.length !== 1} onClick={() => requestRun(selected)} title="Run this node and what it needs">
            Run up to here
          </button>
          <button className="primary" onClick={() => requestRun()} title="Run the pipeline (Ctrl+Enter)">
            Run
          </button>
          {streaming && (
            <button onClick={() => requestRun(undefined, { watch: true })} title="Read the streaming sources batch after batch, committing each, until you press Stop">
              Run continuously
            </button>
          )}
        </>
      )}
      <button className="icon-button" onClick={() => openDialog('help')} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">
        ?
      </button>
    </header>
  );
}
