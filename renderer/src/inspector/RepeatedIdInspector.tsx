/**
 * The inspector of a node entry that repeats an earlier node's id (a file edited by hand). The id,
 * with its connections, its place on the canvas and its params in every edit, is the first node's;
 * this one can be given an id of its own (then it is a node like any other) or deleted.
 */
import { useState } from 'react';
import { useReactFlow } from '@xyflow/react';
import { useDocument } from '../store/document.js';
import { useUi } from '../store/ui.js';
import { useResults } from '../store/results.js';
import { giveOwnId, removeEntries, unusedId } from '../store/doc-ops.js';
import type { PipelineNode } from '../model/types.js';
import { unplacedSpot } from '../canvas/actions.js';
import { NodeIcon } from '../canvas/icons.js';
import { ReadOnlyJson } from './Field.js';
import { nodeIdProblem } from './node-id.js';

export function RepeatedIdInspector({ entryKey, node, index }: { entryKey: string; node: PipelineNode; index: number }) {
  const change = useDocument((s) => s.change);
  const info = useResults((s) => s.typeMap.get(node.type));
  const problems = useResults((s) => s.problemsByNode[entryKey]);
  const { getNode } = useReactFlow();
  const [id, setId] = useState(() => unusedId(useDocument.getState().doc, node.id));
  const problem = nodeIdProblem(id.trim(), useDocument.getState().doc);
  const rename = () => {
    if (problem) return;
    const doc = useDocument.getState().doc;
    // It stays where it is drawn: that place becomes its own.
    const at = getNode(entryKey)?.position ?? unplacedSpot(doc, index, Object.values(doc.layout?.nodes ?? {}));
    change((d) => giveOwnId(d, index, id.trim(), at));
    useUi.getState().select([id.trim()]);
  };
  const remove = () => {
    change((d) => removeEntries(d, [index]));
    useUi.getState().select([]);
  };
  return (
    <aside className="inspector" aria-label="Inspector" data-node-id={entryKey}>
      <header>
        <div className={`inspector-type cat-${info?.category ?? 'unknown'}`}>
          <NodeIcon type={node.type} category={info?.category ?? 'unknown'} />
          <span>{info?.title ?? node.type}</span>
        </div>
        <div className="node-name-input">{node.name ?? node.id}</div>
        <div className="muted small">
          id <code>{node.id}</code> · {node.type}
        </div>
      </header>
      {(problems ?? []).map((p, i) => (
        <div className="field-error" role="alert" key={i}>
          {p.message}
        </div>
      ))}
      <form
        className="row-item own-id"
        aria-label="Own id"
        onSubmit={(e) => {
          e.preventDefault();
          rename();
        }}
      >
        <label className="field compact">
          <span className="label">New id</span>
          <input type="text" aria-label="New node id" value={id} aria-invalid={problem ? true : undefined} onChange={(e) => setId(e.target.value)} />
          {problem && (
            <div className="field-error" role="alert">
              {problem}
            </div>
          )}
        </label>
        <div className="row-actions">
          <button type="submit" className="primary">
            Give it this id
          </button>
          <button type="button" onClick={remove}>
            Delete this node
          </button>
        </div>
      </form>
      <ReadOnlyJson label="Params" value={node.params ?? {}} note="Its settings, kept in the file as they are: the form edits them once the node has an id of its own." />
    </aside>
  );
}
