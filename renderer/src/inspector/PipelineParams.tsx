/** The pipeline's params in the inspector: each with its type, default and description; add and remove. */
import { useEffect, useState, type ChangeEvent } from 'react';
import { useDocument } from '../store/document.js';
import { setPipelineParam } from '../store/doc-ops.js';
import type { PipelineParam } from '../model/types.js';
import { DraftInput } from './DraftInput.js';
import { hasLineBreak, keepLineEndings } from './line-endings.js';
import { useMultiline } from './use-multiline.js';
import { PARAM_TYPES, paramNameProblem, readDefault, retype, showDefault, withDefault, withDescription, type DefaultRead } from './pipeline-params.js';

type ParamType = PipelineParam['type'];

const DEFAULT_HINT: Record<ParamType, string> = { string: 'text', number: 'a number', boolean: 'true or false', date: 'YYYY-MM-DD' };

/** A default typed as text; while it does not read as the param's type, the error shows and nothing is saved. */
function DefaultInput({ type, value, label, onValue, onDone }: { type: ParamType; value: unknown; label: string; onValue(value: unknown): void; onDone(): void }) {
  const [error, setError] = useState<string>();
  // A default changed elsewhere (undo) replaces the text that was wrong.
  useEffect(() => setError(undefined), [value]);
  if (type === 'boolean')
    return (
      <select aria-label={label} value={value === undefined ? '' : String(value)} onChange={(e) => onValue(e.target.value === '' ? undefined : e.target.value === 'true')}>
        <option value="">No default</option>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    );
  // A read that failed keeps its text, so leaving the field does not wipe what is to be fixed.
  type Read = DefaultRead & { text: string };
  const empty = value === '';
  return (
    <>
      <div className="text-field">
        <DraftInput<Read>
          aria-label={label}
          aria-invalid={error ? true : undefined}
          placeholder={empty ? '(empty text)' : `No default (${DEFAULT_HINT[type]})`}
          shown={showDefault(value)}
          read={(text) => ({ ...readDefault(type, text), text })}
          show={(r) => ('error' in r ? r.text : showDefault(r.value))}
          onValue={(r) => {
            setError('error' in r ? r.error : undefined);
            if ('value' in r) onValue(r.value);
          }}
          onDone={onDone}
        />
        {type === 'string' && (
          <EmptyTextButton
            label={label}
            on={empty}
            onClick={() => {
              onValue(empty ? undefined : '');
              onDone();
            }}
          />
        )}
      </div>
      {error && (
        <div className="field-error" role="alert">
          {error} Nothing is saved until it is.
        </div>
      )}
    </>
  );
}

/** A text param's empty default is a value of its own, not the same as no default: this button enters (or removes) it. */
function EmptyTextButton({ label, on, onClick }: { label: string; on: boolean; onClick(): void }) {
  return (
    <button
      type="button"
      className={`empty-text${on ? ' on' : ''}`}
      aria-label={`${label}: empty text`}
      aria-pressed={on}
      title={on ? 'The default is the empty text: press to remove the default' : 'Make the default the empty text (not the same as no default)'}
      onClick={onClick}
    >
      &quot;&quot;
    </button>
  );
}

/** A param's description: one line, or a multi-line box once the text holds a line break (a one-line input would drop it). */
function ParamDescription({ name, value, onChange, onBlur }: { name: string; value: string; onChange(text: string): void; onBlur(): void }) {
  const multiline = useMultiline(hasLineBreak(value));
  const common = { 'aria-label': `Description of ${name}`, value, placeholder: 'What a run should pass', onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => onChange(e.target.value), onBlur };
  return multiline ? <textarea rows={Math.min(6, Math.max(2, value.split(/\r\n|\r|\n/).length))} {...common} /> : <input type="text" {...common} />;
}

function ParamRow({ name, param }: { name: string; param: PipelineParam }) {
  const change = useDocument((s) => s.change);
  const endGesture = useDocument((s) => s.endGesture);
  const put = (next: PipelineParam | undefined, gesture?: string) => change((d) => setPipelineParam(d, name, next), gesture ? { gesture } : undefined);
  return (
    <fieldset className="row-item" aria-label={`Param ${name}`}>
      <legend>
        <code>{name}</code>
        <span className="row-actions">
          <button type="button" className="icon" aria-label={`Remove param ${name}`} title="Nodes that use it will report it as undeclared" onClick={() => put(undefined)}>
            ×
          </button>
        </span>
      </legend>
      <label className="field compact">
        <span className="label">Type</span>
        <TypeSelect label={`Type of ${name}`} value={param.type} onChange={(t) => put(retype(param, t))} />
      </label>
      <div className="field compact">
        <span className="label">Default</span>
        <DefaultInput key={param.type} type={param.type} value={param.default} label={`Default of ${name}`} onValue={(v) => put(withDefault(param, v), `param-default:${name}`)} onDone={endGesture} />
      </div>
      <label className="field compact">
        <span className="label">Description</span>
        <ParamDescription name={name} value={param.description ?? ''} onChange={(text) => put(withDescription(param, keepLineEndings(param.description, text)), `param-description:${name}`)} onBlur={endGesture} />
      </label>
    </fieldset>
  );
}

function TypeSelect({ label, value, onChange }: { label: string; value: ParamType; onChange(type: ParamType): void }) {
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value as ParamType)}>
      {PARAM_TYPES.map((t) => (
        <option key={t} value={t}>
          {t}
        </option>
      ))}
    </select>
  );
}

/** The form for a new param: a name core accepts and that is free, a type, a default that reads as that type. */
function NewParam({ taken, onDone }: { taken: string[]; onDone(): void }) {
  const change = useDocument((s) => s.change);
  const [name, setName] = useState('');
  const [type, setType] = useState<ParamType>('string');
  const [defaultText, setDefaultText] = useState('');
  const [emptyDefault, setEmptyDefault] = useState(false);
  const [tried, setTried] = useState(false);
  const nameProblem = paramNameProblem(name.trim(), taken);
  // An empty name is reported only once Add is pressed; a wrong one as it is typed.
  const showNameProblem = nameProblem !== undefined && (tried || name.trim() !== '');
  const read: DefaultRead = type === 'string' && emptyDefault && defaultText === '' ? { value: '' } : readDefault(type, defaultText);
  const add = () => {
    setTried(true);
    if (nameProblem || 'error' in read) return;
    const param = withDefault({ type } as PipelineParam, read.value);
    change((d) => setPipelineParam(d, name.trim(), param));
    onDone();
  };
  return (
    <form
      className="row-item new-param"
      aria-label="New param"
      onSubmit={(e) => {
        e.preventDefault();
        add();
      }}
    >
      <label className="field compact">
        <span className="label">Name</span>
        <input type="text" aria-label="New param name" autoFocus value={name} placeholder="run_date" aria-invalid={showNameProblem || undefined} onChange={(e) => setName(e.target.value)} />
        {showNameProblem && (
          <div className="field-error" role="alert">
            {nameProblem}
          </div>
        )}
      </label>
      <label className="field compact">
        <span className="label">Type</span>
        <TypeSelect label="New param type" value={type} onChange={setType} />
      </label>
      <label className="field compact">
        <span className="label">Default</span>
        {type === 'boolean' ? (
          <select aria-label="New param default" value={defaultText} onChange={(e) => setDefaultText(e.target.value)}>
            <option value="">No default</option>
            <option value="true">true</option>
            <option value="false">false</option>
          </select>
        ) : (
          <div className="text-field">
            <input
              type="text"
              aria-label="New param default"
              value={defaultText}
              placeholder={type === 'string' && emptyDefault ? '(empty text)' : `No default (${DEFAULT_HINT[type]})`}
              onChange={(e) => {
                setDefaultText(e.target.value);
                setEmptyDefault(false);
              }}
            />
            {type === 'string' && (
              <EmptyTextButton
                label="New param default"
                on={emptyDefault && defaultText === ''}
                onClick={() => {
                  setDefaultText('');
                  setEmptyDefault(!(emptyDefault && defaultText === ''));
                }}
              />
            )}
          </div>
        )}
        {'error' in read && (
          <div className="field-error" role="alert">
            {read.error}
          </div>
        )}
      </label>
      <div className="row-actions">
        <button type="submit" className="primary">
          Add param
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const NO_PARAMS: Record<string, PipelineParam> = {};

export function PipelineParams() {
  const params = useDocument((s) => s.doc.params) ?? NO_PARAMS;
  const [adding, setAdding] = useState(false);
  const names = Object.keys(params);
  return (
    <section className="form-group" aria-label="Params">
      <h3>Params</h3>
      <div className="rows">
        {Object.entries(params).map(([name, p]) => (
          <ParamRow key={name} name={name} param={p} />
        ))}
        {adding ? (
          <NewParam taken={names} onDone={() => setAdding(false)} />
        ) : (
          <button type="button" className="add" onClick={() => setAdding(true)}>
            + Add param
          </button>
        )}
      </div>
      <p className="help">
        Runs ask for their values; nodes use them as <code>$name</code> in expressions and <code>{'${name}'}</code> in texts.
      </p>
    </section>
  );
}
