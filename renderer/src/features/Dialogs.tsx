/** The modal dialogs: file picking, run params, discard prompt, shortcut help, connections. */
import { useEffect, useState } from 'react';
import { useUi } from '../store/ui.js';
import { useDocument } from '../store/document.js';
import { entryAt } from '../store/graph.js';
import { FileDialog } from './FileDialog.js';
import { ConnectionsDialog } from './ConnectionsDialog.js';
import { SchedulesView } from './schedules/SchedulesView.js';
import { SHORTCUTS } from './shortcuts.js';
import { lastRunParams, proceedRun, startRun, type ParamValues } from './runs.js';
import { listExamples, openExample, type ExampleInfo } from './examples.js';
import { BrowseDialog } from './FileDialog.js';
import { UnsavedDialog } from './UnsavedDialog.js';

export function Modal({ title, children, onClose }: { title: string; children: React.ReactNode; onClose(): void }) {
  return (
    <div className="modal-backdrop" onMouseDown={onClose}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={title} onMouseDown={(e) => e.stopPropagation()}>
        <h2>{title}</h2>
        {children}
      </div>
    </div>
  );
}

function RunParamsDialog() {
  const close = useUi((s) => s.closeDialog);
  const params = useDocument((s) => s.doc.params ?? {});
  const last = lastRunParams();
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(params).map(([k, p]) => [k, String(last[k] ?? p.default ?? '')])),
  );
  const go = () => {
    const out: ParamValues = {};
    for (const [k, p] of Object.entries(params)) {
      const v = values[k] ?? '';
      if (v === '') continue;
      out[k] = p.type === 'number' ? Number(v) : p.type === 'boolean' ? v === 'true' : v;
    }
    close();
    void startRun(out);
  };
  return (
    <Modal title="Run with params" onClose={close}>
      {Object.entries(params).map(([k, p]) => (
        <label key={k} className="field">
          {k} <span className="muted small">({p.type}){p.description ? ` — ${p.description}` : ''}</span>
          {p.type === 'boolean' ? (
            <select aria-label={k} value={values[k]} onChange={(e) => setValues({ ...values, [k]: e.target.value })}>
              <option value="">default</option>
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          ) : (
            <input aria-label={k} type={p.type === 'date' ? 'date' : 'text'} value={values[k]} onChange={(e) => setValues({ ...values, [k]: e.target.value })} />
          )}
        </label>
      ))}
      <div className="modal-actions">
        <button onClick={close}>Cancel</button>
        <button className="primary" onClick={go}>
          Run
        </button>
      </div>
    </Modal>
  );
}

function RunReadyDialog() {
  const close = useUi((s) => s.closeDialog);
  const ready = useUi((s) => s.readyRun);
  const nodes = useDocument((s) => s.doc.nodes);
  if (!ready) return null;
  const name = (key: string) => entryAt({ nodes }, key)?.node.name ?? key;
  return (
    <Modal title="Run the ready part?" onClose={close}>
      <p>
        {ready.leftOut.length} node{ready.leftOut.length === 1 ? ' is' : 's are'} not ready and would be left out:
      </p>
      <ul className="left-out">
        {ready.leftOut.map((l) => (
          <li key={l.nodeId}>
            <b>{name(l.nodeId)}</b>: {l.reason}
          </li>
        ))}
      </ul>
      <p>
        The other {ready.targets.length} node{ready.targets.length === 1 ? '' : 's'} can run now.
      </p>
      <div className="modal-actions">
        <button onClick={close}>Cancel</button>
        <button
          className="primary"
          onClick={() => {
            close();
            proceedRun(ready.targets);
          }}
        >
          Run the ready part
        </button>
      </div>
    </Modal>
  );
}

function ExamplesDialog() {
  const close = useUi((s) => s.closeDialog);
  const [examples, setExamples] = useState<ExampleInfo[] | null>(null);
  useEffect(() => void listExamples().then(setExamples), []);
  return (
    <Modal title="Open an example" onClose={close}>
      <p className="muted">A copy goes into your workspace folder, so you can change and run it freely.</p>
      {examples === null && <p className="muted">Loading…</p>}
      <ul className="example-list">
        {examples?.map((e) => (
          <li key={e.id}>
            <button
              type="button"
              className="example"
              onClick={() => {
                close();
                openExample(e.id);
              }}
            >
              <span className="example-name">{e.name}</span>
              <span className="example-desc">{e.description}</span>
            </button>
          </li>
        ))}
      </ul>
      <div className="modal-actions">
        <button onClick={close}>Cancel</button>
      </div>
    </Modal>
  );
}

export function Dialogs() {
  const dialog = useUi((s) => s.dialog);
  const close = useUi((s) => s.closeDialog);
  const pending = useUi((s) => s.pendingAction);
  switch (dialog) {
    case 'open':
    case 'saveAs':
    case 'export':
      return <FileDialog mode={dialog} />;
    case 'runParams':
      return <RunParamsDialog />;
    case 'runReady':
      return <RunReadyDialog />;
    case 'examples':
      return <ExamplesDialog />;
    case 'browse':
      return <BrowseDialog />;
    case 'unsaved':
      return <UnsavedDialog />;
    case 'connections':
      return <ConnectionsDialog />;
    case 'schedules':
      return <SchedulesView />;
    case 'confirmDiscard':
      return (
        <Modal title="Unsaved changes" onClose={close}>
          <p>This pipeline has changes that are not saved. Discard them?</p>
          <div className="modal-actions">
            <button onClick={close}>Keep editing</button>
            <button
              className="danger"
              onClick={() => {
                close();
                pending?.();
              }}
            >
              Discard changes
            </button>
          </div>
        </Modal>
      );
    case 'help':
      return (
        <Modal title="Keyboard shortcuts" onClose={close}>
          <table className="shortcuts">
            <tbody>
              {SHORTCUTS.map((s) => (
                <tr key={s.keys}>
                  <td>
                    <kbd>{s.keys}</kbd>
                  </td>
                  <td>{s.does}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="modal-actions">
            <button onClick={close}>Close</button>
          </div>
        </Modal>
      );
    default:
      return null;
  }
}
