/** The selected node's form (name, generated params form, problems that belong to no field, docs); with nothing selected, the pipeline's own settings. */
import { useCallback, useMemo, useRef } from 'react';
import { useDocument } from '../store/document.js';
import { useUi } from '../store/ui.js';
import { useResults } from '../store/results.js';
import { getIn, setParam, updateNode, pickConnection, type ParamPath } from '../store/doc-ops.js';
import type { Column, ParamJsonSchema, PipelineNode, Problem } from '../model/types.js';
import { fieldPathKey, formModel, type FieldModel, type FormGroup } from './form-model.js';
import { FieldList, ReadOnlyJson, type FieldContext } from './Field.js';
import { entryAt, paramFieldOfPath } from '../store/graph.js';
import { friendlyMessage, fieldAtPath, splitFieldPath, unknownKeys } from './messages.js';
import { hasLineBreak, keepLineEndings } from './line-endings.js';
import { useMultiline } from './use-multiline.js';
import { detectedValue } from './detected.js';
import { Markdown } from './Markdown.js';
import { PipelineInspector } from './PipelineInspector.js';
import { RepeatedIdInspector } from './RepeatedIdInspector.js';
import { browseForPath, suggestPath } from '../features/paths.js';
import { NodeIcon } from '../canvas/icons.js';

const EMPTY: Column[] = [];

export type FieldErrors = Record<string, Array<{ message: string; column?: string }>>;

/** Problems keyed by the param field they are about (the rest under ''), in the form's words. */
export function errorsByField(problems: Problem[], fields: FieldModel[] = [], params: unknown = {}): FieldErrors {
  const out: FieldErrors = {};
  for (const p of problems) {
    const key = p.field ?? paramFieldOfPath(p.path) ?? '';
    const field = key ? fieldAtPath(fields, key, params).field : undefined;
    const message = fields.length ? friendlyMessage(p, field) : p.hint ? `${p.message} (${p.hint})` : p.message;
    (out[key] ??= []).push({ message, column: p.column });
  }
  return out;
}

const isEmpty = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

/**
 * A fresh node keeps quiet about what is still to be filled in (an empty field, an input not
 * connected yet) until the user has finished that field or moved on. What the user did type is
 * checked at once: a wrong column in an expression shows while the field is being edited.
 */
export function revealedProblems(problems: Problem[], revealed: string[] | undefined, params: unknown = {}): Problem[] {
  if (!revealed) return problems;
  return problems.filter((p) => {
    const key = p.field ?? paramFieldOfPath(p.path);
    if (key === undefined || key === '') return p.code !== 'missing_input' && p.code !== 'invalid_param';
    if (revealed.some((r) => key === r || key.startsWith(`${r}.`) || key.startsWith(`${r}[`))) return true;
    return !isEmpty(getIn(params, splitFieldPath(key)));
  });
}

export function Inspector() {
  const selected = useUi((s) => s.selectedNodes);
  const nodes = useDocument((s) => s.doc.nodes);
  if (selected.length > 1)
    return (
      <aside className="inspector" aria-label="Inspector">
        <p className="muted">{selected.length} nodes selected.</p>
      </aside>
    );
  const entry = selected.length === 1 ? entryAt({ nodes }, selected[0]!) : undefined;
  if (!entry) return <PipelineInspector />;
  // An entry repeating an earlier id (a file edited by hand) is fixed by giving it an id of its own, or deleted.
  if (entry.repeat) return <RepeatedIdInspector key={selected[0]} entryKey={selected[0]!} node={entry.node} index={entry.index} />;
  return <NodeInspector key={entry.node.id} node={entry.node} />;
}

function NodeInspector({ node }: { node: PipelineNode }) {
  const nodeId = node.id;
  // Not the whole document: moving boxes (layout) must not re-render the form.
  const edges = useDocument((s) => s.doc.edges);
  const connections = useDocument((s) => s.doc.connections);
  const change = useDocument((s) => s.change);
  const endGesture = useDocument((s) => s.endGesture);
  const typeMap = useResults((s) => s.typeMap);
  const problems = useResults((s) => s.problemsByNode[nodeId]);
  const schemas = useResults((s) => s.schemas);
  const knownConnections = useResults((s) => s.connections);
  const revealed = useUi((s) => s.fresh[nodeId]);
  const info = typeMap.get(node.type);
  const groups: FormGroup[] = useMemo(() => (info ? formModel(info.paramsSchema as ParamJsonSchema) : []), [info]);
  const allFields = useMemo(() => groups.flatMap((g) => g.fields), [groups]);
  const shown = useMemo(() => revealedProblems(problems ?? [], revealed, node.params), [problems, revealed, node.params]);
  const hidden = (problems?.length ?? 0) - shown.length;
  // Keys the node does not know are listed once, each with a Remove button, not beside a field.
  const unknown = useMemo(
    () =>
      (problems ?? []).flatMap((p) => {
        const u = unknownKeys(p);
        if (!u) return [];
        const where = u.at.length ? fieldAtPath(allFields, fieldPathKey(u.at), node.params).labels.join(' › ') : '';
        return u.keys.filter((k) => getIn(node.params, [...u.at, k]) !== undefined).map((key) => ({ at: u.at, key, where }));
      }),
    [problems, allFields, node.params],
  );
  const errors = useMemo(() => errorsByField(shown.filter((p) => !unknownKeys(p)), allFields, node.params), [shown, allFields, node.params]);
  const removeKey = (at: ParamPath, key: string) => {
    endGesture();
    change((d) => setParam(d, nodeId, [...at, key], undefined));
    endGesture();
  };
  const multilineName = useMultiline(hasLineBreak(node.name));

  const lastTyped = useRef<string | null>(null);
  const set = useCallback(
    (path: ParamPath, value: unknown, typing?: boolean) => {
      if (!typing) endGesture();
      change((d) => setParam(d, nodeId, path, value), typing ? { gesture: `field:${nodeId}:${path.join('.')}` } : undefined);
      if (!typing) {
        endGesture();
        // A finished choice (not a list growing or shrinking) shows that field's problems.
        if (value === undefined || typeof value !== 'object' || value === null) useUi.getState().reveal(nodeId, fieldPathKey(path));
      } else lastTyped.current = fieldPathKey(path);
    },
    [nodeId, change, endGesture],
  );
  const endTyping = useCallback(() => {
    endGesture();
    if (lastTyped.current) useUi.getState().reveal(nodeId, lastTyped.current);
    lastTyped.current = null;
  }, [endGesture, nodeId]);

  // Columns arriving at each input port, read from the upstream nodes' outputs: a node whose own
  // params are still invalid gets no schema of its own, but its pickers must still offer columns.
  const inputs = useMemo(() => {
    return edges
      .filter((e) => e.to.startsWith(`${nodeId}:`))
      .map((e) => {
        const [fromNode, fromPort] = e.from.split(':') as [string, string];
        return { port: e.to.slice(nodeId.length + 1), from: fromNode, columns: schemas[fromNode]?.outputs.find((o) => o.port === fromPort)?.columns ?? EMPTY };
      });
  }, [edges, schemas, nodeId]);
  const ownSql = schemas[nodeId]?.outputs[0]?.sql;

  const ctx: FieldContext = useMemo(() => {
    const tables: Record<string, Column[]> = {};
    for (const i of inputs) tables[i.from] = i.columns;
    return {
      nodeId,
      columnsOf: (port?: string) => {
        const want = port ?? info?.inputs[0]?.name;
        const matching = inputs.filter((i) => i.port === want);
        return matching.length === 1 ? matching[0]!.columns : matching.length > 1 ? matching.flatMap((m) => m.columns) : (inputs[0]?.columns ?? EMPTY);
      },
      tables,
      connectedPorts: new Set(inputs.map((i) => i.port)),
      detected: (key: string) => detectedValue(ownSql, key),
      connections: [
        ...Object.entries(connections ?? {}).map(([name, c]) => ({ name, type: c.type, declared: true })),
        ...knownConnections.filter((c) => !connections?.[c.name]).map((c) => ({ name: c.name, type: c.type, declared: false })),
      ],
      setConnection: (path: ParamPath, name: string | undefined) => {
        const type = knownConnections.find((c) => c.name === name)?.type;
        endGesture();
        change((d) => pickConnection(d, nodeId, path, name, type));
        useUi.getState().reveal(nodeId, fieldPathKey(path));
      },
      errors,
      set,
      endTyping,
      browse: (path, field, current) =>
        void browseForPath({ nodeType: node.type, category: info?.category ?? '', current, label: field.label, onPick: (v) => set(path, v) }),
      suggestPath,
    };
  }, [nodeId, node.type, inputs, info, connections, knownConnections, errors, set, endTyping, change, endGesture, ownSql]);

  const general = errors[''] ?? [];
  const fieldKeys = new Set(allFields.map((f) => f.key));
  const orphan = Object.entries(errors)
    .filter(([k]) => k !== '' && !fieldKeys.has(k.split(/[.[]/)[0]!))
    .flatMap(([, v]) => v);
  const params = (node.params ?? {}) as Record<string, unknown>;

  return (
    <aside className="inspector" aria-label="Inspector" data-node-id={node.id}>
      <header>
        <div className={`inspector-type cat-${info?.category ?? 'unknown'}`}>
          <NodeIcon type={node.type} category={info?.category ?? 'unknown'} />
          <span>{info?.title ?? node.type}</span>
        </div>
        {/* A name with line breaks in the file keeps them: a one-line input would drop them. */}
        {multilineName ? (
          <textarea
            className="node-name-input"
            aria-label="Node name"
            rows={2}
            value={node.name ?? ''}
            placeholder={node.id}
            onChange={(e) => change((d) => updateNode(d, node.id, { name: keepLineEndings(node.name, e.target.value) || undefined }), { gesture: `name:${node.id}` })}
            onBlur={endGesture}
          />
        ) : (
          <input
            className="node-name-input"
            aria-label="Node name"
            value={node.name ?? ''}
            placeholder={node.id}
            onChange={(e) => change((d) => updateNode(d, node.id, { name: e.target.value || undefined }), { gesture: `name:${node.id}` })}
            onBlur={endGesture}
          />
        )}
        <textarea
          className="node-description-input"
          aria-label="Node description"
          rows={Math.min(6, Math.max(2, (node.description ?? '').split(/\r\n|\r|\n/).length))}
          value={node.description ?? ''}
          placeholder="Description: what this node is for (kept in the file)"
          onChange={(e) => change((d) => updateNode(d, node.id, { description: keepLineEndings(node.description, e.target.value) || undefined }), { gesture: `description:${node.id}` })}
          onBlur={endGesture}
        />
        <div className="muted small">
          id <code>{node.id}</code> · {node.type}
        </div>
        {info?.description && <p className="node-description">{info.description}</p>}
      </header>
      {!info && <div className="field-error">Unknown node type &apos;{node.type}&apos;.</div>}
      {!info && <ReadOnlyJson label="Params" value={node.params ?? {}} note="This version has no form for this node type: its params are kept in the file as they are." />}
      {[...general, ...orphan].map((e, i) => (
        <div className="field-error" role="alert" key={i}>
          {e.message}
        </div>
      ))}
      {unknown.map((u) => (
        <div className="field-error unknown-key" role="alert" key={`${fieldPathKey(u.at)}:${u.key}`}>
          Not a setting of this node: <code>{u.key}</code>
          {u.where ? ` in ${u.where}` : ''} (a typo, or a setting of another version).{' '}
          <button type="button" aria-label={`Remove "${u.key}"`} onClick={() => removeKey(u.at, u.key)}>
            Remove
          </button>
        </div>
      ))}
      {hidden > 0 && (
        <p className="setup-hint" data-testid="setup-hint">
          Fill in the fields marked <span className="req">*</span> to see this node&apos;s rows.
        </p>
      )}
      {groups.map((g) => (
        <section key={g.name} className="form-group" aria-label={groups.length > 1 ? g.name : undefined}>
          {groups.length > 1 && <h3>{g.name}</h3>}
          <FieldList fields={g.fields} allFields={allFields} path={[]} obj={params} ctx={{ ...ctx, errors }} top />
        </section>
      ))}
      {info && (
        <details className="node-docs">
          <summary>About {info.title}</summary>
          <Markdown text={info.docs} />
        </details>
      )}
    </aside>
  );
}
