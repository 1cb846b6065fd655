import { describe, expect, it } from 'vitest';
import { createDocumentStore, isDirty } from './document.js';
import { moveNodes, setParam, removeNodes, addEdge } from './doc-ops.js';
import { useUi } from './ui.js';
import { useResults } from './results.js';
import { chain } from './test-fixtures.js';

describe('document store', () => {
  it('groups a drag (many position updates) into one undo step', () => {
    const store = createDocumentStore(chain());
    const s = () => store.getState();
    for (let i = 1; i <= 30; i++) s().change((d) => moveNodes(d, { b: { x: 200 + i, y: i } }), { gesture: 'drag:1' });
    s().endGesture();
    expect(s().doc.layout?.nodes.b).toEqual({ x: 230, y: 30 });
    s().undo();
    expect(s().doc.layout?.nodes.b).toEqual({ x: 200, y: 0 });
    expect(s().canUndo).toBe(false);
    s().redo();
    expect(s().doc.layout?.nodes.b).toEqual({ x: 230, y: 30 });
  });

  it('groups typing in one field until it loses focus; the next edit of that field is a new step', () => {
    const store = createDocumentStore(chain());
    const s = () => store.getState();
    for (const text of ['s', 'st', 'sta', 'status']) s().change((d) => setParam(d, 'b', ['condition'], text), { gesture: 'field:b:condition' });
    s().endGesture();
    s().change((d) => setParam(d, 'b', ['condition'], 'status = 1'), { gesture: 'field:b:condition' });
    s().undo();
    expect(s().doc.nodes[1]!.params).toEqual({ condition: 'status' });
    s().undo();
    expect(s().doc.nodes[1]!.params).toEqual({ condition: 'x > 1' });
  });

  it('records nothing for edits that change nothing', () => {
    const store = createDocumentStore(chain());
    store.getState().change((d) => moveNodes(d, { a: { x: 0, y: 0 } }));
    expect(store.getState().canUndo).toBe(false);
  });

  it('keeps selection and results out of history', () => {
    const store = createDocumentStore(chain());
    useUi.getState().select(['a', 'b']);
    useResults.getState().setPreview('a:out', { status: 'loading', signature: 'x', requestedAt: 1 });
    expect(store.getState().canUndo).toBe(false);
    store.getState().change((d) => removeNodes(d, ['b']));
    store.getState().undo();
    expect(useUi.getState().selectedNodes).toEqual(['a', 'b']);
    expect(useResults.getState().previews['a:out']).toBeDefined();
  });

  it('is dirty after a change and clean again when undone back to the saved document', () => {
    const store = createDocumentStore(chain());
    const s = () => store.getState();
    expect(isDirty(s())).toBe(false);
    s().change((d) => removeNodes(d, ['c']));
    expect(isDirty(s())).toBe(true);
    s().undo();
    expect(isDirty(s())).toBe(false);
    s().redo();
    s().markSaved('/tmp/p.json');
    expect(isDirty(s())).toBe(false);
    expect(s().path).toBe('/tmp/p.json');
  });

  it('loading a document clears history', () => {
    const store = createDocumentStore(chain());
    store.getState().change((d) => addEdge(d, { from: 'a:rejects', to: 'sink:in' }));
    store.getState().load(chain(), '/x.json');
    expect(store.getState().canUndo).toBe(false);
    expect(store.getState().loads).toBe(1);
  });
});
