/** One generated form field: picks the widget for the field's kind. Values are read from and written to the node's params. */
import { useEffect, useId, useRef, useState, type ChangeEvent, type InputHTMLAttributes, type ReactNode } from 'react';
import type { Column } from '../model/types.js';
import { setIn, type ParamPath } from '../store/doc-ops.js';
import { inputShapeProblem } from '../../../core/src/util/input-shape.js';
import { entryFields, fieldPathKey, formatScalar, jsonShapeOf, parseInput, readNumber, readScalar, singular, type FieldModel, type Parsed, type ScalarType } from './form-model.js';
import { canUnsetEmptyList, isBlank, listToSave, wantsList, withSetting } from './list-values.js';
import { type JsonRead, readJson, showJson } from './json-text.js';
import { useDraftRows } from './use-draft-rows.js';
import { isVisible } from './visibility.js';
import { describeDetected } from './detected.js';
import { inline } from './Markdown.js';
import { SqlEditor } from './SqlEditor.js';
import { DraftInput, DraftTextarea } from './DraftInput.js';
import { hasLineBreak, keepLineEndings } from './line-endings.js';
import { useMultiline } from './use-multiline.js';

export interface FieldContext {
  nodeId: string;
  /** Columns arriving at an input port (default port when omitted). */
  columnsOf(port?: string): Column[];
  tables: Record<string, Column[]>;
  /** Input ports with something connected (fields that apply "with the X input connected"). */
  connectedPorts?: ReadonlySet<string>;
  /** What a source detected for a setting left unset (from the node's SQL), if known. */
  detected?(key: string): unknown;
  /** Connections to offer: declared in the pipeline and/or known to the host. */
  connections: Array<{ name: string; type: string; declared: boolean }>;
  /** Picks a connection for a param (declaring it in the pipeline if needed). */
  setConnection(path: ParamPath, name: string | undefined): void;
  /** Error messages by field key (`condition`, `aggregations[0].column`), already in the form's words. */
  errors: Record<string, Array<{ message: string; column?: string }>>;
  /** `typing` edits of one field merge into one undo step until the field loses focus. */
  set(path: ParamPath, value: unknown, typing?: boolean): void;
  endTyping(): void;
  /** Lets the user pick a file for a path field (native dialog or the host's file browser). */
  browse?(path: ParamPath, field: FieldModel, current: string): void;
  /** A close match when a path names no file ("did you mean orders.csv?"). */
  suggestPath?(value: string): Promise<string | null>;
}

interface Props {
  field: FieldModel;
  path: ParamPath;
  value: unknown;
  ctx: FieldContext;
  compact?: boolean;
  /** The values next to this one (the row or the params), for scalar parsing against the chosen column. */
  siblings?: Record<string, unknown>;
}

const NO_PORTS: ReadonlySet<string> = new Set();
/** The select option standing for a value in the file that is none of the field's options. */
const OTHER = 'other';
const str = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

function ColumnSelect({ value, columns, onChange, label, placeholder, id }: { value: string; columns: Column[]; onChange(v: string | undefined): void; label: string; placeholder?: string; id?: string }) {
  const known = columns.some((c) => c.name === value);
  return (
    <select id={id} aria-label={label} value={value} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}>
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

/** Auto / Yes / No for an optional boolean that is detected when unset; "Auto" says what was detected. */
function TriState({ field, path, value, ctx }: Props) {
  // What detection found, shown while the setting is on auto (an explicit choice is what the SQL then states).
  const detected = value === undefined ? ctx.detected?.(field.key) : undefined;
  const choices: Array<[string, boolean | undefined]> = [
    [detected === undefined ? 'Auto' : `Auto (${describeDetected(detected)})`, undefined],
    ['Yes', true],
    ['No', false],
  ];
  return (
    <div className="segmented" role="radiogroup" aria-label={field.label}>
      {choices.map(([label, v]) => (
        <button
          key={label}
          type="button"
          role="radio"
          aria-checked={value === v}
          className={value === v ? 'on' : ''}
          onClick={() => ctx.set(path, v)}
          title={v === undefined ? 'Leave it to detection' : undefined}
        >
          {label}
        </button>
      ))}
    </div>
  );
}

/**
 * A value typed as text and read by `read`. While what is typed cannot be kept as it is (a number a
 * JSON number would round), the field says why and nothing is saved: the document keeps its value
 * rather than a rounded one, and the text stays for the user to fix.
 */
function CheckedInput({ path, ctx, shown, read, show, ...input }: Pick<Props, 'path' | 'ctx'> & { shown: string; read(text: string): Parsed; show(value: unknown): string } & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'onFocus' | 'onBlur'>) {
  const { error, onValue } = useCheckedValue(path, ctx, shown);
  type Read = Parsed & { text: string };
  return (
    <>
      <DraftInput<Read>
        {...input}
        aria-invalid={error ? true : undefined}
        shown={shown}
        read={(text) => ({ ...read(text), text })}
        show={(r) => ('error' in r ? r.text : show(r.value))}
        onValue={onValue}
        onDone={ctx.endTyping}
      />
      <NothingSaved error={error} />
    </>
  );
}

/**
 * A field whose typed text may not be kept (CheckedInput, JsonField): a value read is set while
 * typing, a refusal is kept as the error shown. A value changed elsewhere (undo) clears it.
 */
function useCheckedValue(path: Props['path'], ctx: Props['ctx'], shown: string) {
  const [error, setError] = useState<string>();
  useEffect(() => setError(undefined), [shown]);
  const onValue = (r: { value: unknown } | { error: string }) => {
    setError('error' in r ? r.error : undefined);
    if ('value' in r) ctx.set(path, r.value, true);
  };
  return { error, onValue };
}

/** Why what is typed is not saved, while it is not. */
function NothingSaved({ error }: { error: string | undefined }) {
  if (!error) return null;
  return (
    <div className="field-error" role="alert">
      {error} Nothing is saved until it is fixed.
    </div>
  );
}

/** A value that may be text, a number, a boolean or null: typed as text and read by readScalar. */
function ScalarInput({ field, path, value, ctx, label, types, columnType, id }: Props & { label: string; types: ScalarType[]; columnType?: string; id?: string }) {
  const hint = [types.includes('number') && 'a number', types.includes('boolean') && 'true/false', types.includes('string') && 'text', types.includes('null') && 'null'].filter(Boolean).join(', ');
  return (
    <CheckedInput
      id={id}
      aria-label={label}
      placeholder={field.placeholder ?? (field.default !== undefined ? String(field.default) : hint)}
      path={path}
      ctx={ctx}
      shown={formatScalar(value, types, columnType)}
      read={(text) => readScalar(text, types, columnType)}
      show={(v) => formatScalar(v, types, columnType)}
    />
  );
}

function PathField({ field, path, value, ctx, id }: Props & { id?: string }) {
  const text = str(value);
  const [suggestion, setSuggestion] = useState<string | null>(null);
  const hasError = (ctx.errors[fieldPathKey(path)] ?? []).length > 0;
  const suggest = useRef(ctx.suggestPath);
  suggest.current = ctx.suggestPath;
  useEffect(() => {
    setSuggestion(null);
    if (!hasError || !text || !suggest.current) return;
    let live = true;
    void suggest.current(text).then((s) => live && setSuggestion(s));
    return () => {
      live = false;
    };
  }, [hasError, text]);
  return (
    <>
      <div className="path-field">
        <input
          id={id}
          type="text"
          aria-label={field.label}
          placeholder={field.placeholder ?? (field.default !== undefined ? String(field.default) : 'data/file.csv')}
          value={text}
          onChange={(e) => ctx.set(path, parseInput(field, e.target.value), true)}
          onBlur={ctx.endTyping}
        />
        {ctx.browse && (
          <button type="button" onClick={() => ctx.browse!(path, field, text)} aria-label={`Browse for ${field.label}`}>
            Browse…
          </button>
        )}
      </div>
      {suggestion && (
        <div className="suggestion" role="status">
          Did you mean{' '}
          <button type="button" className="link" onClick={() => ctx.set(path, suggestion)}>
            {suggestion}
          </button>
          ?
        </div>
      )}
    </>
  );
}

/** The type of the column a value is typed against (see `typedBy`), read from the input that column picker lists. */
function columnTypeOf(ctx: FieldContext, field: FieldModel, siblings?: Record<string, unknown>): string | undefined {
  const by = field.typedBy;
  const col = by ? siblings?.[by.key] : undefined;
  if (typeof col !== 'string') return undefined;
  return ctx.columnsOf(by!.port).find((c) => c.name === col)?.type;
}

function Widget({ field, path, value, ctx, siblings, id }: Props & { id?: string }): ReactNode {
  const label = field.label;
  const detected = !field.required && field.default === undefined && (value === undefined || value === '') ? ctx.detected?.(field.key) : undefined;
  // An unset setting that the source detects says what it found.
  const placeholder = detected !== undefined ? `auto: ${describeDetected(detected)}` : (field.placeholder ?? (field.default !== undefined ? String(field.default) : undefined));
  const errs = ctx.errors[fieldPathKey(path)] ?? [];
  switch (field.kind) {
    case 'boolean':
      // Back to its default is back to unset: ticking a box off and on again leaves the file as it was.
      return <input id={id} type="checkbox" aria-label={label} checked={value === undefined ? field.default === true : value === true} onChange={(e) => ctx.set(path, e.target.checked === field.default ? undefined : e.target.checked)} />;
    case 'tristate':
      return <TriState field={field} path={path} value={value} ctx={ctx} />;
    case 'select': {
      const values = field.optionValues ?? field.options ?? [];
      const index = value === undefined ? -1 : values.findIndex((v) => v === value || String(v) === String(value));
      // A value in the file that is none of the options is shown as it is (not as the default), so
      // that it can be seen and changed or cleared.
      const other = value !== undefined && index < 0;
      return (
        <select
          id={id}
          aria-label={label}
          value={other ? OTHER : index < 0 ? '' : String(index)}
          onChange={(e) => e.target.value !== OTHER && ctx.set(path, e.target.value === '' ? undefined : values[Number(e.target.value)])}
        >
          <option value="">{field.default !== undefined ? `Default (${String(field.default)})` : 'Choose…'}</option>
          {other && <option value={OTHER}>{JSON.stringify(value)} (not an option)</option>}
          {field.options?.map((o, i) => (
            <option key={o} value={String(i)}>
              {o}
            </option>
          ))}
        </select>
      );
    }
    case 'number':
      return <CheckedInput id={id} inputMode="decimal" aria-label={label} placeholder={placeholder} path={path} ctx={ctx} shown={str(value)} read={(text) => readNumber(field, text)} show={str} />;
    case 'scalar':
      if (field.scalarTypes?.includes('list') && wantsList(field, value, siblings)) return <StringList field={valueList(field)} path={path} value={value} ctx={ctx} siblings={siblings} />;
      return <ScalarInput field={field} path={path} value={value} ctx={ctx} label={label} types={field.scalarTypes ?? ['string']} columnType={columnTypeOf(ctx, field, siblings)} id={id} />;
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
      return <ColumnSelect id={id} label={label} value={str(value)} columns={ctx.columnsOf(field.port)} onChange={(v) => ctx.set(path, v)} />;
    case 'columns': {
      const list = Array.isArray(value) ? (value as string[]) : [];
      const cols = ctx.columnsOf(field.port);
      return (
        <div className="chips">
          {list.map((c, i) => (
            <span className="chip" key={`${c}-${i}`}>
              {c}
              <button type="button" aria-label={`Remove ${c} from ${label}`} onClick={() => ctx.set(path, listToSave(list.filter((_, j) => j !== i), field))}>
                ×
              </button>
            </span>
          ))}
          <ColumnSelect
            id={id}
            label={`Add to ${label}`}
            value=""
            placeholder={cols.length ? 'Add a column…' : 'Connect an input to list columns'}
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
        <select id={id} aria-label={label} value={current} onChange={(e) => ctx.setConnection(path, e.target.value || undefined)}>
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
    case 'path':
      return <PathField field={field} path={path} value={value} ctx={ctx} id={id} />;
    case 'string-list':
      return <StringList field={field} path={path} value={value} ctx={ctx} siblings={siblings} />;
    case 'key-value':
      return <KeyValue field={field} path={path} value={value} ctx={ctx} />;
    case 'rows':
      return <Rows field={field} path={path} value={value} ctx={ctx} />;
    case 'object':
      return <ObjectFields field={field} path={path} value={value} ctx={ctx} />;
    case 'textarea':
      return <textarea id={id} aria-label={label} placeholder={placeholder} value={str(value)} onChange={(e) => ctx.set(path, keepLineEndings(value, e.target.value) || undefined, true)} onBlur={ctx.endTyping} />;
    case 'json':
    case 'json-object':
      return <JsonField field={field} path={path} value={value} ctx={ctx} id={id} />;
    default:
      return <TextInput field={field} path={path} value={value} ctx={ctx} id={id} placeholder={placeholder} />;
  }
}

/**
 * A text setting. Emptying it removes the setting; where the schema takes an empty text as a value
 * of its own (a quote of `""` means "never quoted"), the `""` button next to it enters one.
 */
function TextInput({ field, path, value, ctx, id, placeholder }: Props & { id?: string; placeholder?: string }) {
  const empty = value === '';
  // A description, or any text that holds line breaks, is edited in a multi-line box: a one-line input would drop them.
  const multiline = useMultiline(field.key === 'description' || hasLineBreak(value));
  const common = {
    id,
    'aria-label': field.label,
    placeholder: empty ? '(empty text)' : placeholder,
    value: str(value),
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => ctx.set(path, parseInput(field, keepLineEndings(value, e.target.value)), true),
    onBlur: ctx.endTyping,
  };
  return (
    <div className="text-field">
      {multiline ? <textarea rows={Math.min(8, Math.max(2, str(value).split(/\r\n|\r|\n/).length))} {...common} /> : <input type="text" {...common} />}
      {field.allowsEmpty && (
        <button
          type="button"
          className={`empty-text${empty ? ' on' : ''}`}
          aria-label={`${field.label}: empty text`}
          aria-pressed={empty}
          title={empty ? 'An empty text is set: press to remove the setting' : 'Set an empty text (not the same as leaving it unset)'}
          onClick={() => ctx.set(path, empty ? undefined : '')}
        >
          &quot;&quot;
        </button>
      )}
    </div>
  );
}

/** JSON typed as text: saved as the value it means, never as the text; while it is not valid, the error shows and nothing is saved. */
function JsonField({ field, path, value, ctx, id }: Props & { id?: string }) {
  const shape = jsonShapeOf(field);
  const shown = showJson(value);
  const { error, onValue } = useCheckedValue(path, ctx, shown);
  return (
    <>
      <DraftTextarea<JsonRead & { text: string }>
        id={id}
        aria-label={field.label}
        aria-invalid={error ? true : undefined}
        placeholder={field.placeholder ?? (shape === 'any' ? undefined : '{}')}
        shown={shown}
        read={(text) => ({ ...readJson(text, shape), text })}
        show={(r) => ('error' in r ? r.text : showJson(r.value))}
        onValue={onValue}
        onDone={ctx.endTyping}
      />
      <NothingSaved error={error} />
    </>
  );
}

/**
 * A list of plain values: text, numbers, mixed values or columns. Its entries are kept here while
 * they are edited: a new entry, or one being retyped, is blank until it holds a value, and blank
 * entries are left out of what is saved (never a `null` in the list). See list-values.ts.
 */
function StringList({ field, path, value, ctx, siblings }: Props) {
  // A single value where a list is expected (a filter's value when its operator became `in` in the file) shows as one entry.
  const stored = Array.isArray(value) ? (value as unknown[]) : value === undefined ? [] : [value];
  const { rows, edit, keep } = useDraftRows(stored);
  const itemKind = field.itemKind === 'column' ? 'column' : field.itemKind === 'scalar' ? 'scalar' : field.itemKind === 'number' ? 'number' : 'text';
  const item: FieldModel = { ...field, kind: itemKind, required: false, default: undefined, help: undefined, listWhen: undefined };
  const name = field.itemLabel ?? singular(field.label);
  const save = (next: unknown[], typing?: boolean) => {
    const saved = listToSave(next, field);
    edit(next, saved ?? []);
    ctx.set(path, saved, typing);
  };
  const entryCtx = (i: number): FieldContext => ({ ...ctx, set: (_path, v, typing) => save(rows.map((r, j) => (j === i ? v : r)), typing) });
  return (
    <div className="list">
      {rows.map((v, i) => (
        <div className="list-row" key={i}>
          <Widget field={{ ...item, label: `${field.label} ${i + 1}` }} path={[...path, i]} value={v} ctx={entryCtx(i)} siblings={siblings} />
          <button type="button" className="icon" aria-label={`Remove ${field.label} ${i + 1}`} onClick={() => save(rows.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      {rows.some(isBlank) && (
        <div className="help" role="status">
          Blank entries are not saved{field.allowsEmpty ? <>: to keep an empty text, press its &quot;&quot; button</> : ''}.
        </div>
      )}
      {rows.length === 0 && canUnsetEmptyList(field, value) && (
        <div className="help">
          Set to an empty list.{' '}
          <button type="button" className="link" onClick={() => ctx.set(path, undefined)}>
            Unset it
          </button>{' '}
          to use the default.
        </div>
      )}
      <button type="button" className="add" onClick={() => keep([...rows, undefined])}>
        + Add {name}
      </button>
    </div>
  );
}

/** A value that may be one value or a list (a filter's value for `in`), edited as a list: entries of its own types, none empty. */
function valueList(field: FieldModel): FieldModel {
  const types = (field.scalarTypes ?? []).filter((t) => t !== 'list' && t !== 'null');
  // No entry left is no value: the setting is removed, as it is for a list whose default is empty.
  return { ...field, kind: 'string-list', itemKind: 'scalar', scalarTypes: types, itemLabel: 'value', required: false, default: [], listWhen: undefined };
}

/**
 * Keys and values of an object. The rows are kept here while they are edited, so that a key typed
 * on its way to another (`ab` → `a` → `ac`) never merges with an existing `a` and loses a value:
 * while two rows have the same key, the rows are marked and nothing is written.
 */
function KeyValue({ field, path, value, ctx }: Props) {
  const stored = value && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value as Record<string, unknown>) : [];
  const { rows, edit, keep } = useDraftRows(stored);
  const keys = rows.map(([k]) => k);
  const repeated = new Set(keys.filter((k, i) => keys.indexOf(k) !== i));
  // A key the host refuses (`__proto__`, which copying an object drops) is named here, and not saved.
  const refused = refusedKey(keys);
  // Typing a key or a value is one undo step until the box loses focus; adding or removing an entry is one step.
  const update = (next: Array<[string, unknown]>, typing?: boolean) => {
    const nextKeys = next.map(([k]) => k);
    if (new Set(nextKeys).size !== nextKeys.length || refusedKey(nextKeys)) return keep(next);
    const obj = Object.fromEntries(next);
    edit(next, Object.entries(obj));
    ctx.set(path, obj, typing);
  };
  const freshKey = () => {
    let n = rows.length + 1;
    while (keys.includes(`key${n}`)) n++;
    return `key${n}`;
  };
  return (
    <div className="list">
      {rows.map(([k, v], i) => (
        <div className="list-row" key={i}>
          <input
            aria-label={`${field.label} key ${i + 1}`}
            aria-invalid={repeated.has(k) || k === refused || undefined}
            title={repeated.has(k) ? `"${k}" is used twice: rename one (nothing is saved until the keys differ)` : undefined}
            value={k}
            onChange={(e) => update(rows.map((en, j) => (j === i ? [e.target.value, en[1]] : en)), true)}
            onBlur={ctx.endTyping}
          />
          <input aria-label={`${field.label} value ${i + 1}`} value={str(v)} onChange={(e) => update(rows.map((en, j) => (j === i ? [en[0], e.target.value] : en)), true)} onBlur={ctx.endTyping} />
          <button type="button" className="icon" aria-label={`Remove ${field.label} ${i + 1}`} onClick={() => update(rows.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      {refused !== undefined && <div className="field-error" role="alert">{`${field.label} ${keyShapeProblem(refused)}. Nothing is saved until it is renamed.`}</div>}
      {repeated.size > 0 && <div className="field-error">{`Key ${[...repeated].map((k) => `"${k}"`).join(', ')} is used twice: rename one. Nothing is saved until the keys differ.`}</div>}
      <button type="button" className="add" onClick={() => update([...rows, [freshKey(), '']])}>
        + Add entry
      </button>
    </div>
  );
}

/** What the host says of a map holding this key (its own rule, core's input-shape check), or undefined when it takes it. */
function keyShapeProblem(key: string): string | undefined {
  return inputShapeProblem(Object.fromEntries([[key, '']]))?.message;
}

/** The first key of a map the host would refuse. */
function refusedKey(keys: string[]): string | undefined {
  return keys.find((k) => keyShapeProblem(k) !== undefined);
}

/** A fresh list entry of a union: the kind, a unique name when entries have names, and the kind's defaults left to the engine. */
function newEntry(field: FieldModel, kind: string | undefined, rows: unknown[]): Record<string, unknown> {
  if (!field.variants || kind === undefined) return {};
  const entry: Record<string, unknown> = { [field.discriminator!]: kind };
  const variant = field.variants.find((v) => v.value === kind);
  if (variant?.fields.some((f) => f.key === 'name' && f.required)) {
    const taken = new Set(rows.map((r) => (r && typeof r === 'object' ? (r as Record<string, unknown>).name : undefined)));
    let n = 1;
    while (taken.has(`${kind}_${n}`)) n++;
    entry.name = `${kind}_${n}`;
  }
  return entry;
}

/** Switching an entry to another kind keeps the settings both kinds have. */
function switchKind(field: FieldModel, entry: Record<string, unknown>, kind: string): Record<string, unknown> {
  const keep = new Set((field.variants?.find((v) => v.value === kind)?.fields ?? []).map((f) => f.key));
  return { [field.discriminator!]: kind, ...Object.fromEntries(Object.entries(entry).filter(([k]) => keep.has(k))) };
}

/** The fields of one object (a list entry, a nested object, the params), hiding those that do not apply. */
function FieldList({ fields, allFields, path, obj, ctx, top }: { fields: FieldModel[]; /** Every field of `obj` when `fields` is one form group of it: conditions may follow a setting of another group. */ allFields?: FieldModel[]; path: ParamPath; obj: Record<string, unknown>; ctx: FieldContext; top?: boolean }) {
  const ports = ctx.connectedPorts ?? NO_PORTS;
  const visible = fields.filter((f) => isVisible(f, obj[f.key], obj, allFields ?? fields, ports));
  // A setting that others follow (a filter's operator, which makes its value a list or not) changes them in the same step.
  const leads = new Set(fields.flatMap((f) => (f.listWhen ? [f.listWhen.key] : [])));
  const ctxOf = (f: FieldModel): FieldContext =>
    leads.has(f.key) ? { ...ctx, set: (p, v, typing) => (p.length === path.length + 1 ? ctx.set(path, withSetting(obj, fields, f.key, v), typing) : ctx.set(p, v, typing)) } : ctx;
  const row = (f: FieldModel) => <FieldRow key={f.key} field={f} path={[...path, f.key]} value={obj[f.key]} ctx={ctxOf(f)} siblings={obj} compact={!top} />;
  const main = visible.filter((f) => !f.common);
  const more = visible.filter((f) => f.common);
  // Open when one of them is set or has a problem, so nothing set is out of sight.
  const moreOpen = more.some((f) => obj[f.key] !== undefined || Object.keys(ctx.errors).some((k) => k.startsWith(fieldPathKey([...path, f.key]))));
  return (
    <>
      {main.map(row)}
      {more.length > 0 && (
        <details className="more-settings" open={moreOpen}>
          <summary>More settings ({more.map((f) => f.label.toLowerCase()).join(', ')})</summary>
          {more.map(row)}
        </details>
      )}
    </>
  );
}

function Rows({ field, path, value, ctx }: Props) {
  const rows = Array.isArray(value) ? (value as Array<Record<string, unknown>>) : [];
  const item = field.itemLabel ?? singular(field.label);
  const itemTitle = item.charAt(0).toUpperCase() + item.slice(1);
  const move = (i: number, d: number) => {
    const next = [...rows];
    [next[i], next[i + d]] = [next[i + d]!, next[i]!];
    ctx.set(path, next);
  };
  const variantLabel = (r: unknown) => field.variants?.find((v) => r && typeof r === 'object' && v.value === (r as Record<string, unknown>)[field.discriminator!])?.label;
  return (
    <div className="rows">
      {rows.map((row, i) => {
        const obj = row && typeof row === 'object' && !Array.isArray(row) ? row : {};
        const kindLabel = variantLabel(row);
        return (
          <fieldset className="row-item" key={i} aria-label={`${itemTitle} ${i + 1}`}>
            <legend>
              <span>
                {itemTitle} {i + 1}
                {kindLabel ? `: ${kindLabel}` : ''}
              </span>
              <span className="row-actions">
                <button type="button" className="icon" aria-label={`Move ${item} ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                  ↑
                </button>
                <button type="button" className="icon" aria-label={`Move ${item} ${i + 1} down`} disabled={i === rows.length - 1} onClick={() => move(i, 1)}>
                  ↓
                </button>
                <button type="button" className="icon" aria-label={`Remove ${item} ${i + 1}`} onClick={() => ctx.set(path, rows.filter((_, j) => j !== i))}>
                  ×
                </button>
              </span>
            </legend>
            {field.variants && (
              <KindPicker field={field} label={`Kind of ${item} ${i + 1}`} value={typeof obj[field.discriminator!] === 'string' ? (obj[field.discriminator!] as string) : ''} onPick={(k) => ctx.set([...path, i], switchKind(field, obj, k))} />
            )}
            {(ctx.errors[fieldPathKey([...path, i])] ?? []).map((e, j) => (
              <div className="field-error" role="alert" key={j}>
                {e.message}
              </div>
            ))}
            <FieldList fields={entryFields(field, obj)} path={[...path, i]} obj={obj} ctx={ctx} />
            {unknownKind(field, obj) && <ReadOnlyJson label={`Settings of ${item} ${i + 1}`} value={obj} note="A kind this version does not know: its settings are kept in the file as they are." />}
          </fieldset>
        );
      })}
      {field.variants ? (
        <KindPicker field={field} label={`Add ${item}`} value="" placeholder={`+ Add ${item}…`} onPick={(k) => ctx.set(path, [...rows, newEntry(field, k, rows)])} />
      ) : (
        <button type="button" className="add" onClick={() => ctx.set(path, [...rows, {}])}>
          + Add {item}
        </button>
      )}
    </div>
  );
}

/** An entry whose kind is set but is none of the kinds the form knows (a newer version's, a typo). */
function unknownKind(field: FieldModel, entry: Record<string, unknown>): boolean {
  const kind = entry[field.discriminator!];
  return !!field.variants && kind !== undefined && !field.variants.some((v) => v.value === kind);
}

/** Settings the form cannot edit, shown as they are in the file (and kept there). */
export function ReadOnlyJson({ label, value, note }: { label: string; value: unknown; note: string }) {
  const text = JSON.stringify(value, null, 2);
  return (
    <div className="read-only-json">
      <div className="help">{note}</div>
      <textarea readOnly aria-label={label} rows={Math.min(12, text.split('\n').length)} value={text} />
    </div>
  );
}

function KindPicker({ field, label, value, placeholder, onPick }: { field: FieldModel; label: string; value: string; placeholder?: string; onPick(kind: string): void }) {
  const other = value !== '' && !field.variants!.some((v) => v.value === value);
  return (
    <select className={placeholder ? 'add-picker' : 'kind-picker'} aria-label={label} value={value} onChange={(e) => e.target.value && e.target.value !== value && onPick(e.target.value)}>
      <option value="">{placeholder ?? 'Choose a kind…'}</option>
      {other && <option value={value}>{value} (unknown kind)</option>}
      {field.variants!.map((v) => (
        <option key={v.value} value={v.value}>
          {v.label}
        </option>
      ))}
    </select>
  );
}

/**
 * A nested object param. One without a default (incremental reads) is switched on and off as a
 * whole with "Use". One with a default always applies (a REST source's pagination, http_enrich's
 * response cache, which is on unless its own "Cache answers" is off): its settings are shown under
 * a disclosure, open when one of them is set, and an unset object reads as its default.
 */
function ObjectFields({ field, path, value, ctx }: Props) {
  const on = value !== undefined && value !== null;
  const obj = on && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const always = field.required || field.default !== undefined;
  // Settings with a default: an edit that leaves the object empty (pagination's type back to its
  // default) removes it, rather than leaving `{}` the file did not have. An empty object the file
  // already holds stays as it is.
  const inner: FieldContext =
    always && !field.required
      ? {
          ...ctx,
          set: (p, v, typing) => {
            const next = p.length > path.length ? setIn(obj, p.slice(path.length), v) : v;
            const emptied = Object.keys(obj).length > 0 && next !== null && typeof next === 'object' && !Array.isArray(next) && Object.keys(next).length === 0;
            ctx.set(emptied ? path : p, emptied ? undefined : v, typing);
          },
        }
      : ctx;
  const kind = field.variants && (
    <KindPicker field={field} label={`Kind of ${field.label}`} value={typeof obj[field.discriminator!] === 'string' ? (obj[field.discriminator!] as string) : ''} onPick={(k) => ctx.set(path, switchKind(field, obj, k))} />
  );
  const list = (
    <>
      <FieldList fields={field.variants ? entryFields(field, obj) : (field.itemFields ?? [])} path={path} obj={obj} ctx={inner} />
      {unknownKind(field, obj) && <ReadOnlyJson label={`Settings of ${field.label}`} value={obj} note="A kind this version does not know: its settings are kept in the file as they are." />}
    </>
  );
  if (field.required) return <div className="object-field">{kind}{list}</div>;
  if (always) {
    const changed = Object.keys(obj).length;
    const open = changed > 0 || Object.keys(ctx.errors).some((k) => k.startsWith(`${fieldPathKey(path)}.`));
    return (
      <details className="object-field object-settings" open={open}>
        <summary>{changed ? `Settings (${changed} set)` : 'Settings (defaults)'}</summary>
        {kind}
        {list}
      </details>
    );
  }
  return (
    <div className="object-field">
      <label className="inline">
        <input type="checkbox" aria-label={`Use ${field.label}`} checked={on} onChange={(e) => ctx.set(path, e.target.checked ? {} : undefined)} /> Use
      </label>
      {on && kind}
      {on && list}
    </div>
  );
}

/** The help text: always under top-level fields; behind an ⓘ button inside list entries. */
function Help({ text, label, compact }: { text: string; label: string; compact?: boolean }) {
  const [open, setOpen] = useState(false);
  if (!compact) return <div className="help">{inline(text)}</div>;
  return (
    <>
      <button type="button" className="help-toggle" aria-label="Show help" title={`About ${label}`} aria-expanded={open} onClick={() => setOpen(!open)}>
        ?
      </button>
      {open && <div className="help">{inline(text)}</div>}
    </>
  );
}

/** Label, widget, help and the errors that belong to this field. */
export function FieldRow({ field, path, value, ctx, compact, siblings }: Props) {
  const key = fieldPathKey(path);
  const errs = ctx.errors[key] ?? [];
  const id = useId();
  const boolean = field.kind === 'boolean';
  const labelled = field.kind !== 'tristate' && field.kind !== 'rows' && field.kind !== 'object' && field.kind !== 'string-list' && field.kind !== 'key-value' && field.kind !== 'columns' && field.kind !== 'sql' && field.kind !== 'sql-query';
  return (
    <div className={`field field-${field.kind}${errs.length ? ' invalid' : ''}${compact ? ' compact' : ''}`} data-field={key}>
      {boolean ? (
        <div className="inline field-head">
          <label className="inline">
            <Widget field={field} path={path} value={value} ctx={ctx} siblings={siblings} id={id} />
            {field.label}
          </label>
          {field.help && compact && <Help text={field.help} label={field.label} compact />}
        </div>
      ) : (
        <>
          <div className="field-head">
            {labelled ? (
              <label htmlFor={id}>
                {field.label}
                {field.required && <span className="req" aria-hidden="true"> *</span>}
              </label>
            ) : (
              <span className="label">
                {field.label}
                {field.required && <span className="req" aria-hidden="true"> *</span>}
              </span>
            )}
            {field.help && compact && <Help text={field.help} label={field.label} compact />}
          </div>
          <Widget field={field} path={path} value={value} ctx={ctx} siblings={siblings} id={id} />
        </>
      )}
      {errs.map((e, i) => (
        <div className="field-error" role="alert" key={i}>
          {e.message}
        </div>
      ))}
      {field.help && !compact && <Help text={field.help} label={field.label} />}
    </div>
  );
}

export { FieldList };
