/** The check state in the toolbar; with problems, a list where each entry selects its node. */
import { useEffect, useRef, useState } from 'react';
import { useReactFlow } from '@xyflow/react';
import { useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import { useDocument } from '../store/document.js';

export function ProblemsButton() {
  const checking = useResults((s) => s.checking);
  const problems = useResults((s) => s.problems);
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const { fitView } = useReactFlow();
  useClickOutside(box, open, () => setOpen(false));
  const label = checking ? 'checking…' : problems.length ? `${problems.length} problem${problems.length === 1 ? '' : 's'}` : 'valid';
  return (
    <div className="menu" ref={box}>
      <button className={`check-state${problems.length ? ' bad' : ''}`} data-testid="check-state" disabled={problems.length === 0} onClick={() => setOpen(!open)} aria-expanded={open}>
        {label}
      </button>
      {open && problems.length > 0 && (
        <div className="menu-items problems-list" role="menu" aria-label="Problems">
          {problems.map((p, i) => {
            const name = p.nodeId ? (useDocument.getState().doc.nodes.find((n) => n.id === p.nodeId)?.name ?? p.nodeId) : null;
            return (
              <button
                key={i}
                role="menuitem"
                onClick={() => {
                  setOpen(false);
                  if (!p.nodeId) return;
                  useUi.getState().select([p.nodeId]);
                  void fitView({ nodes: [{ id: p.nodeId }], duration: 200, maxZoom: 1 });
                }}
              >
                <span>
                  {name && <b>{name}: </b>}
                  {p.message}
                  {p.hint && <span className="muted"> ({p.hint})</span>}
                </span>
              </button>
            );
          })}
        </div>
      )}
    </div>
  );
}

/** Closes a popup on a click elsewhere or on Escape. */
export function useClickOutside(ref: React.RefObject<HTMLElement | null>, active: boolean, close: () => void): void {
  useEffect(() => {
    if (!active) return;
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) close();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      // Closing the popup is all this Escape does: the studio's handler (on window) would clear the selection.
      e.stopPropagation();
      close();
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [ref, active, close]);
}
