/** What sits on top of the canvas: the getting-started card on an empty pipeline, and the pipeline's description. */
import { useEffect, useState } from 'react';
import { useDocument } from '../store/document.js';
import { useUi } from '../store/ui.js';
import { listExamples, openExample, type ExampleInfo } from '../features/examples.js';
import { inline } from '../inspector/Markdown.js';

function GettingStarted() {
  const [examples, setExamples] = useState<ExampleInfo[]>([]);
  useEffect(() => {
    let live = true;
    void listExamples().then((e) => live && setExamples(e));
    return () => {
      live = false;
    };
  }, []);
  return (
    <section className="getting-started" aria-label="Getting started">
      <h2>Build a pipeline</h2>
      <ol>
        <li>
          Drag a <b>source</b> from the palette on the left (for example <i>CSV file</i>) onto this canvas, and pick its file.
        </li>
        <li>Add transforms (Filter, Derive, Aggregate…) and connect each node&apos;s right-hand port to the next one&apos;s left-hand port.</li>
        <li>Select any node to see its rows below; finish with a <b>sink</b> (Write Parquet, Write CSV…) and press Run.</li>
      </ol>
      {examples.length > 0 && (
        <>
          <h3>Or start from an example</h3>
          <ul className="example-list">
            {examples.map((e) => (
              <li key={e.id}>
                <button type="button" className="example" onClick={() => openExample(e.id)}>
                  <span className="example-name">{e.name}</span>
                  <span className="example-desc">{e.description}</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      <p className="muted small">
        Press <kbd>?</kbd> for keyboard shortcuts.
      </p>
    </section>
  );
}

/** The pipeline's description (e.g. "generate the data first"), shown where people look first; collapsible. */
function About() {
  const description = useDocument((s) => s.doc.description);
  const loads = useDocument((s) => s.loads);
  const open = !useUi((s) => s.aboutHidden);
  const setOpen = (v: boolean) => useUi.getState().setAboutHidden(!v);
  useEffect(() => useUi.getState().setAboutHidden(false), [loads]);
  if (!description) return null;
  if (!open)
    return (
      <button type="button" className="about-toggle" onClick={() => setOpen(true)} aria-expanded={false}>
        About this pipeline
      </button>
    );
  return (
    <section className="about-pipeline" aria-label="About this pipeline" data-testid="pipeline-description">
      <p>{inline(description)}</p>
      <button type="button" className="icon" aria-label="Hide the description" onClick={() => setOpen(false)}>
        ×
      </button>
    </section>
  );
}

export function CanvasOverlays() {
  const empty = useDocument((s) => s.doc.nodes.length === 0);
  const dialog = useUi((s) => s.dialog);
  return (
    <>
      {empty && !dialog && <GettingStarted />}
      {!empty && <About />}
    </>
  );
}
