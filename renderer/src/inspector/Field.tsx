/** One generated form field: picks the widget for the field's kind. Values are read from and written to the node's params. */
import type { ReactNode } from 'react';
import type { Column } from '../model/types.js';
import type { ParamPath } from '../store/doc-ops.js';
import { fieldPathKey, parseInput, type FieldModel } from './form-model.js';
import { SqlEditor } from './SqlEditor.js';

export interface FieldContext {
  nodeId: string;
  /** Columns arriving at an input port (default port when omitted). */
  columnsOf(port?: string): Column[];
  tables: Record<string, Column[]>;
  /** Connections to offer: declared in the pipeline and/or known to the host. */
  connections: Array<{ name: string; type: string; declared: boolean }>;
  /** Picks a connection for a param (declaring it in the pipeline if needed). */
  setConnection(path: ParamPath, name: string | undefined): void;
  /** Error messages by field key (`condition`, `aggregations[0].column`). */
  errors: Record<string, Array<{ message: string; column?: string }>>;
  /** `typing` edits of one field merge into one undo step until the field loses focus. */
  set(path: ParamPath, value: unknown, typing?: boolean): void;
  endTyping(): void;
}

interface Props {
  field: FieldModel;
  path: ParamPath;
  value: unknown;
  ctx: FieldContext;
  compact?: boolean;
}

const str = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

function ColumnSelect({ value, columns, onChange, label, placeholder }: { value: string; columns: Column[]; onChange(v: string | undefined): void; label: string; placeholder?: string }) {
  const known = columns.some((c) => c.name === value);
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}>
      <option value="">{placeholder ?? (columns.length ? 'Choose a column…' : 'Connect an input to list columns')}</option>
      {value !== '' && !known && <option value={value}>{value} (not in input)</option>}
      {columns.map((c) => (
        <option key={c.name} value={c.name}>
          {c.name} · {c.type}
        </option>
      ))}
    </select>
  );
}

function Widget({ field, path, value, ctx }: Props): ReactNode {
  const label = field.label;
  const placeholder = field.placeholder ?? (field.default !== undefined ? String(field.default) : undefined);
  const errs = ctx.errors[fieldPathKey(path)] ?? [];
  switch (field.kind) {
    case 'boolean':
      return (
        <input
          type="checkbox"
          aria-label={label}
          checked={value === undefined ? field.default === true : value === true}
          onChange={(e) => ctx.set(path, e.target.checked)}
        />
      );
    case 'select': {
      const values = field.optionValues ?? field.options ?? [];
      const index = value === undefined ? -1 : values.findIndex((v) => v === value || String(v) === String(value));
      return (
        <select aria-label={label} value={index < 0 ? '' : String(index)} onChange={(e) => ctx.set(path, e.target.value === '' ? undefined : values[Number(e.target.value)])}>
          <option value="">{field.default !== undefined ? `Default (${String(field.default)})` : 'Choose…'}</option>
          {field.options?.map((o, i) => (
            <option key={o} value={String(i)}>
              {o}
            </option>
          ))}
        </select>
      );
    }
    case 'number':
      return (
        <input
          type="text"
          inputMode="decimal"
          aria-label={label}
          placeholder={placeholder}
          value={str(value)}
          onChange={(e) => ctx.set(path, parseInput(field, e.target.value), true)}
          onBlur={ctx.endTyping}
        />
      );
    case 'sql':
    case 'sql-query':
      return (
        <SqlEditor
          ariaLabel={label}
          value={str(value)}
          placeholder={placeholder}
          multiline={field.kind === 'sql-query'}
          columns={ctx.columnsOf(field.port)}
          tables={field.kind === 'sql-query' ? ctx.tables : undefined}
          errors={errs}
          onChange={(v) => ctx.set(path, v === '' ? undefined : v, true)}
          onBlur={ctx.endTyping}
        />
      );
    case 'column':
      return <ColumnSelect label={label} value={str(value)} columns={ctx.columnsOf(field.port)} onChange={(v) => ctx.set(path, v)} />;
    case 'columns': {
      const list = Array.isArray(value) ? (value as string[]) : [];
      const cols = ctx.columnsOf(field.port);
      return (
        <div className="chips">
          {list.map((c, i) => (
            <span className="chip" key={`${c}-${i}`}>
              {c}
              <button aria-label={`Remove ${c} from ${label}`} onClick={() => ctx.set(path, list.filter((_, j) => j !== i))}>
                ×
              </button>
            </span>
          ))}
          <ColumnSelect
            label={`Add to ${label}`}
            value=""
            placeholder="Add a column…"
            columns={cols.filter((c) => !list.includes(c.name))}
            onChange={(v) => v && ctx.set(path, [...list, v])}
          />
        </div>
      );
    }
    case 'connection': {
      const current = str(value);
      const known = ctx.connections.some((c) => c.name === current);
      return (
        <select aria-label={label} value={current} onChange={(e) => ctx.setConnection(path, e.target.value || undefined)}>
          <option value="">{ctx.connections.length ? 'Choose a connection…' : 'No connections yet: File → Connections…'}</option>
          {current !== '' && !known && <option value={current}>{current} (not defined)</option>}
          {ctx.connections.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name} · {c.type}
              {c.declared ? '' : ' (adds it to the pipeline)'}
            </option>
          ))}
        </select>
      );
    }
    case 'string-list':
      return <StringList field={field} path={path} value={value} ctx={ctx} />;
    case 'key-value':
      return <KeyValue field={field} path={path} value={value} ctx={ctx} />;
    case 'rows':
      return <Rows field={field} path={path} value={value} ctx={ctx} />;
    case 'object':
      return <ObjectFields field={field} path={path} value={value} ctx={ctx} />;
    case 'json':
      return (
        <textarea
          aria-label={label}
          defaultValue={value === undefined ? '' : JSON.stringify(value, null, 2)}
          onBlur={(e) => {
            try {
              ctx.set(path, e.target.value.trim() === '' ? undefined : JSON.parse(e.target.value));
            } catch {
              ctx.set(path, e.target.value);
            }
          }}
        />
      );
    case 'textarea':
      return <textarea aria-label={label} placeholder={placeholder} value={str(value)} onChange={(e) => ctx.set(path, e.target.value || undefined, true)} onBlur={ctx.endTyping} />;
    default:
      return (
        <input
          type="text"
          aria-label={label}
          placeholder={placeholder}
          value={str(value)}
          onChange={(e) => ctx.set(path, parseInput(field, e.target.value), true)}
          onBlur={ctx.endTyping}
        />
      );
  }
}

function StringList({ field, path, value, ctx }: Props) {
  const list = Array.isArray(value) ? (value as unknown[]) : [];
  const item: FieldModel = { ...field, kind: field.itemKind === 'column' ? 'column' : 'text', label: field.label };
  return (
    <div className="list">
      {list.map((v, i) => (
        <div className="list-row" key={i}>
          <Widget field={{ ...item, label: `${field.label} ${i + 1}` }} path={[...path, i]} value={v} ctx={ctx} />
          <button aria-label={`Remove ${field.label} ${i + 1}`} onClick={() => ctx.set(path, list.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <button className="add" onClick={() => ctx.set(path, [...list, ''])}>
        + Add
      </button>
    </div>
  );
}

function KeyValue({ field, path, value, ctx }: Props) {
  const entries = value && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value as Record<string, unknown>) : [];
  const write = (next: Array<[string, unknown]>) => ctx.set(path, Object.fromEntries(next));
  return (
    <div className="list">
      {entries.map(([k, v], i) => (
        <div className="list-row" key={i}>
          <input aria-label={`${field.label} key ${i + 1}`} value={k} onChange={(e) => write(entries.map((en, j) => (j === i ? [e.target.value, en[1]] : en)))} />
          <input aria-label={`${field.label} value ${i + 1}`} value={str(v)} onChange={(e) => write(entries.map((en, j) => (j === i ? [en[0], e.target.value] : en)))} />
          <button aria-label={`Remove ${field.label} ${i + 1}`} onClick={() => write(entries.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <button className="add" onClick={() => write([...entries, [`key${entries.length + 1}`, '']])}>
        + Add
      </button>
    </div>
  );
}

function Rows({ field, path, value, ctx }: Props) {
  const rows = Array.isArray(value) ? (value as Array<Record<string, unknown>>) : [];
  return (
    <div className="rows">
      {rows.map((row, i) => (
        <fieldset className="row-item" key={i} aria-label={`${field.label} ${i + 1}`}>
          <legend>
            {field.label} {i + 1}
            <button aria-label={`Remove ${field.label} ${i + 1}`} onClick={() => ctx.set(path, rows.filter((_, j) => j !== i))}>
              ×
            </button>
          </legend>
          {field.itemFields?.map((f) => (
            <FieldRow key={f.key} field={{ ...f, label: f.label }} path={[...path, i, f.key]} value={row?.[f.key]} ctx={ctx} compact />
          ))}
        </fieldset>
      ))}
      <button className="add" onClick={() => ctx.set(path, [...rows, {}])}>
        + Add {field.label.toLowerCase().replace(/s$/, '')}
      </button>
    </div>
  );
}

/** A nested object param (e.g. incremental settings); an optional one is switched on and off as a whole. */
function ObjectFields({ field, path, value, ctx }: Props) {
  const on = value !== undefined && value !== null;
  const obj = on && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  return (
    <div className="object-field">
      {!field.required && (
        <label className="inline">
          <input type="checkbox" aria-label={`Use ${field.label}`} checked={on} onChange={(e) => ctx.set(path, e.target.checked ? {} : undefined)} /> Use
        </label>
      )}
      {(on || field.required) &&
        field.itemFields?.map((f) => <FieldRow key={f.key} field={f} path={[...path, f.key]} value={obj[f.key]} ctx={ctx} compact />)}
    </div>
  );
}

/** Label, widget, help and the errors that belong to this field. */
export function FieldRow({ field, path, value, ctx, compact }: Props) {
  const errs = ctx.errors[fieldPathKey(path)] ?? [];
  const boolean = field.kind === 'boolean';
  return (
    <div className={`field field-${field.kind}${errs.length ? ' invalid' : ''}${compact ? ' compact' : ''}`} data-field={fieldPathKey(path)}>
      {boolean ? (
        <label className="inline">
          <Widget field={field} path={path} value={value} ctx={ctx} />
          {field.label}
        </label>
      ) : (
        <>
          <label>
            {field.label}
            {field.required && <span className="req" title="required"> *</span>}
          </label>
          <Widget field={field} path={path} value={value} ctx={ctx} />
        </>
      )}
      {errs.map((e, i) => (
        <div className="field-error" role="alert" key={i}>
          {e.message}
        </div>
      ))}
      {field.help && !compact && <div className="help">{field.help}</div>}
    </div>
  );
}
