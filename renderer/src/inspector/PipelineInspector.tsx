/** With no node selected, the inspector edits the pipeline itself: its name, its description and its params. */
import { useEffect, useRef, useState } from 'react';
import { useDocument } from '../store/document.js';
import { describeDoc, renameDoc } from '../store/doc-ops.js';
import { PipelineParams } from './PipelineParams.js';
import { keepLineEndings } from './line-endings.js';
import { pipelineNameProblem } from './pipeline-name.js';

export function PipelineInspector() {
  const name = useDocument((s) => s.doc.name);
  const description = useDocument((s) => s.doc.description ?? '');
  const nodeCount = useDocument((s) => s.doc.nodes.length);
  const change = useDocument((s) => s.change);
  const endGesture = useDocument((s) => s.endGesture);
  // The name may be empty while it is retyped; the document keeps the last non-empty one.
  const [draft, setDraft] = useState(name);
  const focused = useRef(false);
  useEffect(() => {
    if (!focused.current) setDraft(name);
  }, [name]);
  const nameProblem = pipelineNameProblem(draft);
  return (
    <aside className="inspector" aria-label="Inspector" data-pipeline>
      <header>
        <div className="inspector-type">Pipeline</div>
        <label className="field">
          <span className="label">Name</span>
          <input
            className="node-name-input"
            aria-label="Pipeline name"
            value={draft}
            onFocus={() => (focused.current = true)}
            aria-invalid={nameProblem ? true : undefined}
            onChange={(e) => {
              setDraft(e.target.value);
              // A name the host would refuse is shown with why, and not written: the document keeps the last good one.
              if (!pipelineNameProblem(e.target.value)) change((d) => renameDoc(d, e.target.value), { gesture: 'pipeline-name' });
            }}
            onBlur={() => {
              focused.current = false;
              setDraft(name);
              endGesture();
            }}
          />
          {nameProblem && draft.trim() !== '' && (
            <span className="field-error" role="alert">
              {nameProblem} The name stays &quot;{name}&quot; until it is fixed.
            </span>
          )}
        </label>
      </header>
      <div className="field">
        <label htmlFor="pipeline-description">Description</label>
        <textarea
          id="pipeline-description"
          rows={4}
          value={description}
          placeholder="What this pipeline does, and anything to do before running it."
          onChange={(e) => change((d) => describeDoc(d, keepLineEndings(d.description, e.target.value)), { gesture: 'pipeline-description' })}
          onBlur={endGesture}
        />
      </div>
      <PipelineParams />
      <p className="muted small">{nodeCount === 0 ? 'Drag a source from the palette to start.' : 'Select a node to edit it.'}</p>
    </aside>
  );
}
