import { describe, expect, it } from 'vitest';
import { checkConnection } from './connect-rules.js';
import { addNode } from './doc-ops.js';
import { chain, TYPES } from './test-fixtures.js';

const refuse = (r: ReturnType<typeof checkConnection>) => (r.ok ? null : r.reason);

describe('connection rules', () => {
  it('refuses a cycle and names its path', () => {
    expect(refuse(checkConnection(chain(), TYPES, { from: 'c:out', to: 'b:in' }))).toBe("That would make a cycle: 'b' → 'c' → 'b'.");
  });

  it('refuses a second edge into a single-input port', () => {
    let { doc } = addNode(chain(), { type: 'source.csv', title: 'Second' }, { x: 0, y: 0 });
    expect(refuse(checkConnection(doc, TYPES, { from: 'csv_source:out', to: 'b:in' }))).toMatch(/takes one connection and already has one/);
    ({ doc } = addNode(doc, { type: 'transform.union', title: 'Union' }, { x: 0, y: 0 }));
    expect(checkConnection({ ...doc, edges: [...doc.edges, { from: 'a:out', to: 'union:in' }] }, TYPES, { from: 'csv_source:out', to: 'union:in' })).toEqual({ ok: true });
  });

  it('refuses ports of the wrong kind or that do not exist', () => {
    expect(refuse(checkConnection(chain(), TYPES, { from: 'b:in', to: 'c:in' }))).toMatch(/has no output port 'in'/);
    expect(refuse(checkConnection(chain(), TYPES, { from: 'c:out', to: 'a:in' }))).toMatch(/a source takes no input/);
    expect(refuse(checkConnection(chain(), TYPES, { from: 'b:out', to: 'b:in' }))).toMatch(/cannot feed itself/);
    expect(refuse(checkConnection(chain(), TYPES, { from: 'zz:out', to: 'b:in' }))).toMatch(/not on the canvas/);
  });

  it('accepts a valid new edge and refuses a duplicate', () => {
    const doc = { ...chain(), edges: chain().edges.filter((e) => e.to !== 'sink:in') };
    expect(checkConnection(doc, TYPES, { from: 'a:rejects', to: 'sink:in' })).toEqual({ ok: true });
    expect(refuse(checkConnection(chain(), TYPES, { from: 'a:out', to: 'b:in' }))).toMatch(/already connected/);
  });
});
