/** Node types grouped by category, searchable by name, alias and description; drag onto the canvas (or double-click to add). */
import { useMemo, type DragEvent } from 'react';
import { useResults } from '../store/results.js';
import { useUi } from '../store/ui.js';
import type { NodeTypeInfo } from '../model/types.js';
import { PALETTE_MIME } from './Canvas.js';
import { addNodeInView } from './actions.js';
import { NodeIcon } from './icons.js';

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

export function Palette({ onCollapse }: { onCollapse?(): void }) {
  const types = useResults((s) => s.nodeTypes);
  const query = useUi((s) => s.paletteQuery);
  const setQuery = useUi((s) => s.setPaletteQuery);
  const groups = useMemo(() => CATEGORIES.map(([cat, label]) => ({ cat, label, items: types.filter((t) => t.category === cat && matchesQuery(t, query)) })).filter((g) => g.items.length > 0), [types, query]);

  const onDragStart = (e: DragEvent, type: string) => {
    e.dataTransfer.setData(PALETTE_MIME, type);
    e.dataTransfer.effectAllowed = 'copy';
  };

  return (
    <aside className="palette" aria-label="Node palette">
      <div className="palette-top">
        <input className="palette-search" type="search" placeholder="Search nodes (name, alias, description)" aria-label="Search nodes" value={query} onChange={(e) => setQuery(e.target.value)} />
        {onCollapse && (
          <button type="button" className="icon collapse" aria-label="Hide the palette" title="Hide the palette" onClick={onCollapse}>
            ⟨
          </button>
        )}
      </div>
      {groups.length === 0 && <div className="empty muted">No node matches “{query}”.</div>}
      {groups.map((g) => (
        <section key={g.cat}>
          <h2 className="palette-heading">{g.label}</h2>
          {g.items.map((t) => (
            <div
              key={t.type}
              className={`palette-item cat-${t.category}`}
              draggable
              role="button"
              tabIndex={0}
              aria-label={`${t.title}: ${t.description}`}
              onDragStart={(e) => onDragStart(e, t.type)}
              onDoubleClick={() => addNodeInView(t.type)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  addNodeInView(t.type);
                }
              }}
              title={`${t.description}${t.aliases.length ? `\nAlso: ${t.aliases.join(', ')}` : ''}\nDrag onto the canvas, double-click or press Enter to add.`}
              data-node-type={t.type}
            >
              <NodeIcon type={t.type} category={t.category} />
              <span className="palette-text">
                <span className="palette-title">{t.title}</span>
                <span className="palette-desc">{t.description}</span>
              </span>
            </div>
          ))}
        </section>
      ))}
    </aside>
  );
}
