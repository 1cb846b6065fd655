import { describe, expect, it } from 'vitest';
import type { Pipeline, Problem } from '../model/types.js';
import { chain } from './test-fixtures.js';
import { entryAt, entryKeys, problemNodeKey } from './graph.js';
import { giveOwnId, removeEntries, removeNodes, setParam, updateNode } from './doc-ops.js';
import { inStudioWords } from '../inspector/messages.js';
import { nodeIdProblem } from '../inspector/node-id.js';
import { readyPart } from '../features/runs.js';

/** a → b → c → sink, and a second entry with the id `b` (a file edited by hand), fifth in the list. */
function withRepeat(): Pipeline {
  const doc = chain();
  return { ...doc, nodes: [...doc.nodes, { id: 'b', type: 'transform.filter', name: 'Nasty', params: { condition: 'z > 1' } }] };
}

/** What core's validation says of it (core/src/compiler/validate.ts). */
const repeated: Problem = { code: 'duplicate_id', path: 'nodes[4].id', nodeId: 'b', message: "duplicate node id 'b' (also used by nodes[1])", hint: 'give every node a unique id' };
const titles: Record<string, string> = { 'transform.filter': 'Filter', 'source.csv': 'CSV source' };
const titleOf = (type: string) => titles[type];

describe('a node entry that repeats an earlier id can be seen, selected, renamed and deleted', () => {
  it('every entry has a key of its own: the id, or for a repeat the id and its place in the list', () => {
    expect(entryKeys(withRepeat())).toEqual(['a', 'b', 'c', 'sink', 'b#4']);
    expect(entryKeys(chain())).toEqual(['a', 'b', 'c', 'sink']);
  });

  it('a key finds its entry; the id finds the first entry, which its edges and place belong to', () => {
    const doc = withRepeat();
    expect(entryAt(doc, 'b#4')).toMatchObject({ index: 4, repeat: true, node: { name: 'Nasty' } });
    expect(entryAt(doc, 'b')).toMatchObject({ index: 1, repeat: false, node: { params: { condition: 'x > 1' } } });
    // A key that looks like a repeat's but is not one is no entry.
    expect(entryAt(doc, 'b#1')).toBeUndefined();
    expect(entryAt(doc, 'a#4')).toBeUndefined();
  });

  it("the repeat's problem goes to its own card, not to the first node's", () => {
    const doc = withRepeat();
    expect(problemNodeKey(doc, repeated)).toBe('b#4');
    expect(problemNodeKey(doc, { path: 'nodes[1].params.condition', nodeId: 'b' })).toBe('b');
    expect(problemNodeKey(doc, { path: 'nodes[2]' })).toBe('c');
    expect(problemNodeKey(doc, { path: 'edges[0]' })).toBeUndefined();
  });

  it('the problem names the other node by its kind and name, never by a JSON path, and says what to do', () => {
    const doc = withRepeat();
    const worded = inStudioWords(repeated, doc, titleOf);
    expect(worded.message).toBe("Another node, a Filter, has the id 'b' too: its connections and its place on the canvas are that node's. Give this node an id of its own, or delete it.");
    expect(worded.hint).toBeUndefined();
    const named = { ...doc, nodes: doc.nodes.map((n, i) => (i === 1 ? { ...n, name: 'Big orders' } : n)) };
    expect(inStudioWords(repeated, named, titleOf).message).toMatch(/^Another node, Filter 'Big orders', has the id 'b' too/);
    const cased: Problem = { code: 'duplicate_id', path: 'nodes[1].id', nodeId: 'B', message: "node ids 'a' (nodes[0]) and 'A' (nodes[1]) differ only in letter case; node names in SQL ignore case, so they would be the same node", hint: "rename one of them, e.g. 'A_2'" };
    expect(inStudioWords(cased, doc, titleOf).message).toBe("node ids 'a' (CSV source 'a') and 'A' (Filter 'b') differ only in letter case; node names in SQL ignore case, so they would be the same node");
    const plain: Problem = { code: 'unknown_column', path: 'nodes[1].params.condition', message: "unknown column 'z'" };
    expect(inStudioWords(plain, doc, titleOf)).toBe(plain);
  });

  it('editing the node an id names leaves the repeat as it is', () => {
    const doc = setParam(updateNode(withRepeat(), 'b', { name: 'Keep big' }), 'b', ['condition'], 'x > 2');
    expect(doc.nodes[1]).toMatchObject({ name: 'Keep big', params: { condition: 'x > 2' } });
    expect(doc.nodes[4]).toMatchObject({ name: 'Nasty', params: { condition: 'z > 1' } });
  });

  it('the repeat gets an id of its own, and a place: it is then a node like any other; the edges stay with the first', () => {
    const doc = giveOwnId(withRepeat(), 4, 'b_2', { x: 230, y: 110 });
    expect(entryKeys(doc)).toEqual(['a', 'b', 'c', 'sink', 'b_2']);
    expect(doc.layout!.nodes.b_2).toEqual({ x: 230, y: 110 });
    expect(doc.edges).toEqual(withRepeat().edges);
  });

  it('a new id is one core takes and no other node has, letter case aside', () => {
    const doc = withRepeat();
    expect(nodeIdProblem('b_2', doc)).toBeUndefined();
    expect(nodeIdProblem('b', doc)).toBe('Another node has the id b: choose another.');
    expect(nodeIdProblem('SINK', doc)).toBe('Another node has the id sink, which differs only in letter case: choose another.');
    expect(nodeIdProblem('2b', doc)).toMatch(/starts with a letter or _/);
    expect(nodeIdProblem('', doc)).toMatch(/Give the node an id/);
  });

  it('deleting the repeat removes that entry only; deleting the first leaves the repeat, which then owns the id and its place', () => {
    const doc = withRepeat();
    const noRepeat = removeEntries(doc, [4]);
    expect(noRepeat.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c', 'sink']);
    expect(noRepeat.edges).toEqual(doc.edges);
    const noFirst = removeNodes(doc, ['b']);
    expect(noFirst.nodes.map((n) => n.name ?? n.id)).toEqual(['a', 'c', 'sink', 'Nasty']);
    expect(noFirst.edges.some((e) => e.from.startsWith('b:') || e.to.startsWith('b:'))).toBe(false);
    expect(noFirst.layout!.nodes.b).toEqual(doc.layout!.nodes.b);
    // Without a repeat, a removed node takes its place with it, as always.
    expect(removeNodes(chain(), ['b']).layout!.nodes.b).toBeUndefined();
  });

  it('a run leaves the repeat out with its problem, in words', () => {
    const doc = withRepeat();
    const worded = inStudioWords(repeated, doc, titleOf);
    const r = readyPart(doc, { 'b#4': [worded] });
    expect(r.ready).toEqual(['a', 'b', 'c', 'sink']);
    expect(r.leftOut).toEqual([{ nodeId: 'b#4', reason: worded.message }]);
  });
});
