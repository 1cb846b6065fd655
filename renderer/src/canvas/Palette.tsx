/** Node types grouped by category, searchable by name, alias and description; drag onto the canvas (or double-click to add). */
import { useMemo, type DragEvent } from 'react';
import { useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import type { NodeTypeInfo } from '../model/types.js';
import { PALETTE_MIME } from './Canvas.js';
import { addNodeOfType } from './actions.js';
import { useDocument } from '../store/document.js';

const CATEGORIES: Array<[NodeTypeInfo['category'], string]> = [
  ['source', 'Sources'],
  ['transform', 'Transforms'],
  ['quality', 'Quality'],
  ['sink', 'Sinks'],
];

export function matchesQuery(t: NodeTypeInfo, q: string): boolean {
  if (!q.trim()) return true;
  const hay = [t.title, t.type, t.description, ...(t.aliases ?? [])].join(' ').toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}

export function Palette() {
  const types = useResults((s) => s.nodeTypes);
  const query = useUi((s) => s.paletteQuery);
  const setQuery = useUi((s) => s.setPaletteQuery);
  const groups = useMemo(() => CATEGORIES.map(([cat, label]) => ({ cat, label, items: types.filter((t) => t.category === cat && matchesQuery(t, query)) })).filter((g) => g.items.length > 0), [types, query]);

  const onDragStart = (e: DragEvent, type: string) => {
    e.dataTransfer.setData(PALETTE_MIME, type);
    e.dataTransfer.effectAllowed = 'copy';
  };
  const addAtEnd = (type: string) => {
    const layout = Object.values(useDocument.getState().doc.layout?.nodes ?? {});
    const x = layout.length ? Math.max(...layout.map((p) => p.x)) + 240 : 0;
    addNodeOfType(type, { x, y: 0 });
  };

  return (
    <aside className="palette" aria-label="Node palette">
      <input className="palette-search" type="search" placeholder="Search nodes (name, alias, description)" aria-label="Search nodes" value={query} onChange={(e) => setQuery(e.target.value)} />
      {groups.length === 0 && <div className="empty">No node matches “{query}”.</div>}
      {groups.map((g) => (
        <section key={g.cat}>
          <h3>{g.label}</h3>
          {g.items.map((t) => (
            <div
              key={t.type}
              className={`palette-item cat-${t.category}`}
              draggable
              onDragStart={(e) => onDragStart(e, t.type)}
              onDoubleClick={() => addAtEnd(t.type)}
              title={`${t.description}${t.aliases.length ? `\nAlso: ${t.aliases.join(', ')}` : ''}\nDrag onto the canvas or double-click to add.`}
              data-node-type={t.type}
            >
              <span className="palette-title">{t.title}</span>
              <span className="palette-desc">{t.description}</span>
            </div>
          ))}
        </section>
      ))}
    </aside>
  );
}
