/** The selected node's form: name, generated params form, problems that belong to no field, and its docs. */
import { useCallback, useMemo } from 'react';
import { useDocument } from '../store/document.js';
import { useUi } from '../store/ui.js';
import { useResults } from '../store/results.js';
import { setParam, updateNode, pickConnection, type ParamPath } from '../store/doc-ops.js';
import type { Column, ParamJsonSchema, Problem } from '../model/types.js';
import { formModel, type FormGroup } from './form-model.js';
import { FieldRow, type FieldContext } from './Field.js';
import { paramFieldOfPath } from '../store/graph.js';

const EMPTY: Column[] = [];

/** Problems keyed by the param field they are about; the rest under ''. */
export function errorsByField(problems: Problem[]): Record<string, Array<{ message: string; column?: string }>> {
  const out: Record<string, Array<{ message: string; column?: string }>> = {};
  for (const p of problems) {
    const key = p.field ?? paramFieldOfPath(p.path) ?? '';
    (out[key] ??= []).push({ message: p.hint ? `${p.message} (${p.hint})` : p.message, column: p.column });
  }
  return out;
}

export function Inspector() {
  const selected = useUi((s) => s.selectedNodes);
  // Not the whole document: moving boxes (layout) must not re-render the form.
  const nodes = useDocument((s) => s.doc.nodes);
  const edges = useDocument((s) => s.doc.edges);
  const connections = useDocument((s) => s.doc.connections);
  const change = useDocument((s) => s.change);
  const endGesture = useDocument((s) => s.endGesture);
  const typeMap = useResults((s) => s.typeMap);
  const problems = useResults((s) => s.problemsByNode);
  const schemas = useResults((s) => s.schemas);
  const knownConnections = useResults((s) => s.connections);
  const nodeId = selected.length === 1 ? selected[0]! : null;
  const node = nodeId ? nodes.find((n) => n.id === nodeId) : undefined;
  const info = node ? typeMap.get(node.type) : undefined;
  const groups: FormGroup[] = useMemo(() => (info ? formModel(info.paramsSchema as ParamJsonSchema) : []), [info]);
  const errors = useMemo(() => errorsByField(nodeId ? (problems[nodeId] ?? []) : []), [problems, nodeId]);

  const set = useCallback(
    (path: ParamPath, value: unknown, typing?: boolean) => {
      if (!nodeId) return;
      if (!typing) endGesture();
      change((d) => setParam(d, nodeId, path, value), typing ? { gesture: `field:${nodeId}:${path.join('.')}` } : undefined);
      if (!typing) endGesture();
    },
    [nodeId, change, endGesture],
  );

  // Columns arriving at each input port, read from the upstream nodes' outputs: a node whose own
  // params are still invalid gets no schema of its own, but its pickers must still offer columns.
  const inputs = useMemo(() => {
    if (!nodeId) return [];
    return edges
      .filter((e) => e.to.startsWith(`${nodeId}:`))
      .map((e) => {
        const [fromNode, fromPort] = e.from.split(':') as [string, string];
        return { port: e.to.slice(nodeId.length + 1), from: fromNode, columns: schemas[fromNode]?.outputs.find((o) => o.port === fromPort)?.columns ?? EMPTY };
      });
  }, [edges, schemas, nodeId]);

  const ctx: FieldContext = useMemo(() => {
    const tables: Record<string, Column[]> = {};
    for (const i of inputs) tables[i.from] = i.columns;
    return {
      nodeId: nodeId ?? '',
      columnsOf: (port?: string) => {
        const want = port ?? info?.inputs[0]?.name;
        const matching = inputs.filter((i) => i.port === want);
        return matching.length === 1 ? matching[0]!.columns : matching.length > 1 ? matching.flatMap((m) => m.columns) : (inputs[0]?.columns ?? EMPTY);
      },
      tables,
      connections: [
        ...Object.entries(connections ?? {}).map(([name, c]) => ({ name, type: c.type, declared: true })),
        ...knownConnections.filter((c) => !connections?.[c.name]).map((c) => ({ name: c.name, type: c.type, declared: false })),
      ],
      setConnection: (path: ParamPath, name: string | undefined) => {
        if (!nodeId) return;
        const type = knownConnections.find((c) => c.name === name)?.type;
        endGesture();
        change((d) => pickConnection(d, nodeId, path, name, type));
      },
      errors,
      set,
      endTyping: endGesture,
    };
  }, [nodeId, inputs, info, connections, knownConnections, errors, set, change, endGesture]);

  if (selected.length > 1) return <aside className="inspector"><p className="muted">{selected.length} nodes selected.</p></aside>;
  if (!node) return <aside className="inspector"><p className="muted">Select a node to edit it. Drag nodes from the palette on the left.</p></aside>;
  const general = errors[''] ?? [];
  const fieldKeys = new Set(groups.flatMap((g) => g.fields.map((f) => f.key)));
  const orphan = Object.entries(errors).filter(([k]) => k !== '' && !fieldKeys.has(k.split(/[.[]/)[0]!)).flatMap(([, v]) => v);

  return (
    <aside className="inspector" aria-label="Inspector" data-node-id={node.id}>
      <header>
        <div className="inspector-type">{info?.title ?? node.type}</div>
        <input
          className="node-name-input"
          aria-label="Node name"
          value={node.name ?? ''}
          placeholder={node.id}
          onChange={(e) => change((d) => updateNode(d, node.id, { name: e.target.value || undefined }), { gesture: `name:${node.id}` })}
          onBlur={endGesture}
        />
        <div className="muted small">
          id <code>{node.id}</code> · {node.type}
        </div>
      </header>
      {!info && <div className="field-error">Unknown node type '{node.type}'.</div>}
      {[...general, ...orphan].map((e, i) => (
        <div className="field-error" role="alert" key={i}>
          {e.message}
        </div>
      ))}
      {groups.map((g) => (
        <section key={g.name} className="form-group">
          {groups.length > 1 && <h4>{g.name}</h4>}
          {g.fields.map((f) => (
            <FieldRow key={f.key} field={f} path={[f.key]} value={node.params?.[f.key]} ctx={ctx} />
          ))}
        </section>
      ))}
      {info && (
        <details className="node-docs">
          <summary>About {info.title}</summary>
          <p>{info.description}</p>
          <pre>{info.docs}</pre>
        </details>
      )}
    </aside>
  );
}
