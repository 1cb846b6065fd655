/** Offers back the unsaved edits a studio that ended without saving them left (features/unsaved.ts). */
import { useUi } from '../store/ui.js';
import { Modal } from './Dialogs.js';
import { discardUnsaved, restoreUnsaved, useUnsaved } from './unsaved.js';

export function UnsavedDialog() {
  const close = useUi((s) => s.closeDialog);
  const copies = useUnsaved((s) => s.copies);
  if (copies.length === 0) return null;
  return (
    <Modal title="Unsaved edits were kept" onClose={close}>
      <p>The studio ended without saving these edits. Restore one to go on editing it (undo goes back to the file as it is now), or discard it.</p>
      <ul className="unsaved-copies">
        {copies.map((c) => (
          <li key={c.key}>
            <div>
              <strong>{c.document.name}</strong>
              <div className="muted small">
                {c.path ?? 'never saved'} · edited {new Date(c.at).toLocaleString()}
              </div>
            </div>
            <div className="unsaved-actions">
              <button
                onClick={() => {
                  discardUnsaved(c);
                  if (useUnsaved.getState().copies.length === 0) close();
                }}
              >
                Discard
              </button>
              <button
                className="primary"
                onClick={() => {
                  close();
                  void restoreUnsaved(c);
                }}
              >
                Restore
              </button>
            </div>
          </li>
        ))}
      </ul>
      <div className="modal-actions">
        <button onClick={close}>Later</button>
      </div>
    </Modal>
  );
}
