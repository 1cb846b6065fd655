/** The check state in the toolbar; with problems, a list where each entry selects its node. */
import { useEffect, useMemo, useRef, useState } from 'react';
import { useReactFlow } from '@xyflow/react';
import { useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import { useDocument } from '../store/document.js';
import { entryAt, problemNodeKey, waitingNodes } from '../store/graph.js';
import { formModel } from '../inspector/form-model.js';
import { problemText } from '../inspector/messages.js';
import type { ParamJsonSchema } from '../model/types.js';

export function ProblemsButton() {
  const checking = useResults((s) => s.checking);
  const problems = useResults((s) => s.problems);
  const problemsByNode = useResults((s) => s.problemsByNode);
  const typeMap = useResults((s) => s.typeMap);
  const doc = useDocument((s) => s.doc);
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const { fitView } = useReactFlow();
  useClickOutside(box, open, () => setOpen(false));
  // Nodes after a broken one cannot be checked: say so rather than let their problems vanish.
  const waiting = useMemo(() => waitingNodes(doc, new Set(Object.keys(problemsByNode))).size, [doc, problemsByNode]);
  const label = checking
    ? 'checking…'
    : problems.length
      ? `${problems.length} problem${problems.length === 1 ? '' : 's'}${waiting ? ` · ${waiting} not checked` : ''}`
      : doc.nodes.length === 0
        ? 'empty'
        : 'valid';
  return (
    <div className="menu" ref={box}>
      <button className={`check-state${problems.length ? ' bad' : ''}`} data-testid="check-state" disabled={problems.length === 0} onClick={() => setOpen(!open)} aria-expanded={open} aria-haspopup="menu">
        {label}
      </button>
      {open && problems.length > 0 && (
        <div className="menu-items problems-list" role="menu" aria-label="Problems">
          {problems.map((p, i) => {
            // The entry the problem is about: one repeating an earlier id is told apart by its key.
            const key = problemNodeKey(doc, p);
            const node = key !== undefined ? entryAt(doc, key)?.node : undefined;
            const info = node ? typeMap.get(node.type) : undefined;
            const fields = info ? formModel(info.paramsSchema as ParamJsonSchema).flatMap((g) => g.fields) : undefined;
            const t = problemText(p, fields, node?.params);
            return (
              <button
                key={i}
                role="menuitem"
                onClick={() => {
                  setOpen(false);
                  if (!node || key === undefined) return;
                  useUi.getState().settle([key]);
                  useUi.getState().select([key]);
                  void fitView({ nodes: [{ id: key }], duration: 200, maxZoom: 1 });
                }}
              >
                <span>
                  {node && <b>{node.name ?? node.id}</b>}
                  {node && t.where && <span className="muted"> › {t.where}</span>}
                  {node && ': '}
                  {t.text}
                </span>
              </button>
            );
          })}
          {waiting > 0 && <div className="menu-sep">{waiting} node{waiting === 1 ? '' : 's'} after these are checked once they are fixed.</div>}
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
