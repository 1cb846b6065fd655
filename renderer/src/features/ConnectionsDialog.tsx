/**
 * Named connections: list, add, edit, test, remove. Secret fields are typed here and sent once to the
 * host, which puts them in the OS keychain; the renderer only ever sees whether a secret is stored (or why the keychain could not say).
 */
import { useEffect, useRef, useState } from 'react';
import { host, errorText } from '../host-access.js';
import { useUi } from '../store/ui.js';
import { useResults } from '../store/results.js';
import type { HostConnectionInfo, ParamJsonSchema } from '../model/types.js';
import { formModel, type FieldModel } from '../inspector/form-model.js';
import { connectionErrorText, draftProblems, fieldValues } from './connection-draft.js';
import { secretStates } from './secret-states.js';
import { guardDialogClose, requestCloseDialog } from './dialog-close.js';

type TypeInfo = { type: string; label: string; fieldsSchema: Record<string, unknown>; secretFields: string[] };

interface Draft {
  editing: boolean;
  name: string;
  type: string;
  fields: Record<string, unknown>;
  secrets: Record<string, string>;
}

export function ConnectionsDialog() {
  const close = useUi((s) => s.closeDialog);
  const [list, setList] = useState<HostConnectionInfo[]>([]);
  const [types, setTypes] = useState<TypeInfo[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [status, setStatus] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  // The draft as it was started: a draft that differs from it is work that closing would lose.
  const [draftStart, setDraftStart] = useState('');
  // Problems show at the fields once Save has been pressed, and then follow the typing.
  const [tried, setTried] = useState(false);
  const startDraft = (d: Draft | null) => {
    setDraft(d);
    setDraftStart(JSON.stringify(d));
    setTried(false);
    setError(null);
  };
  const dirty = draft !== null && JSON.stringify(draft) !== draftStart;
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty;
  useEffect(() => guardDialogClose(() => !dirtyRef.current || window.confirm('Discard the connection you are editing? What you typed is lost.')), []);

  const reload = async () => {
    try {
      const [l, t] = await Promise.all([host()['connections.list']({}), host()['connections.types']({})]);
      setList(l.connections);
      useResults.getState().setConnections(l.connections);
      setTypes(t.types);
    } catch (e) {
      setError(errorText(e));
    }
  };
  useEffect(() => void reload(), []);

  const typeInfo = types.find((t) => t.type === draft?.type);
  const fields: FieldModel[] = typeInfo ? formModel(typeInfo.fieldsSchema as ParamJsonSchema).flatMap((g) => g.fields) : [];
  const problems = draft && tried ? draftProblems(draft.name, fields, draft.fields, typeInfo?.secretFields) : {};

  const saveDraft = async () => {
    if (!draft) return;
    setTried(true);
    if (Object.keys(draftProblems(draft.name, fields, draft.fields, typeInfo?.secretFields)).length > 0) return;
    try {
      const input = { name: draft.name, type: draft.type, fields: fieldValues(fields, draft.fields), secrets: Object.fromEntries(Object.entries(draft.secrets).filter(([, v]) => v !== '')) };
      if (draft.editing) await host()['connections.update'](input);
      else await host()['connections.add'](input);
      startDraft(null);
      await reload();
    } catch (e) {
      setError(connectionErrorText(errorText(e), fields));
    }
  };
  const test = async (name: string) => {
    setStatus({ ...status, [name]: 'testing…' });
    try {
      const r = await host()['connections.test']({ name });
      setStatus((s) => ({ ...s, [name]: r.ok ? `OK · ${r.serverVersion} · ${Math.round(r.latencyMs)} ms` : `Failed: ${r.message}${r.hint ? ` (${r.hint})` : ''}` }));
    } catch (e) {
      setStatus((s) => ({ ...s, [name]: `Failed: ${errorText(e)}` }));
    }
  };
  const remove = async (name: string) => {
    if (!window.confirm(`Remove connection '${name}' and its stored secrets?`)) return;
    try {
      await host()['connections.remove']({ name });
      await reload();
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <div className="modal-backdrop" onMouseDown={requestCloseDialog}>
      <div className="modal wide" role="dialog" aria-label="Connections" onMouseDown={(e) => e.stopPropagation()}>
        <h2>Connections</h2>
        {error && <div className="field-error">{error}</div>}
        <table className="runs-table">
          <thead>
            <tr>
              <th>name</th>
              <th>type</th>
              <th>where</th>
              <th>secrets</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <tr key={c.name}>
                <td>{c.name}</td>
                <td>{c.type}</td>
                <td>{c.scope}</td>
                <td>{secretStates(c)}</td>
                <td>
                  <button onClick={() => void test(c.name)}>Test</button>
                  <button onClick={() => startDraft({ editing: true, name: c.name, type: c.type, fields: { ...c.fields }, secrets: {} })}>Edit</button>
                  <button className="danger" onClick={() => void remove(c.name)}>
                    Remove
                  </button>
                  {status[c.name] && <div className="small">{status[c.name]}</div>}
                </td>
              </tr>
            ))}
            {list.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  No connections yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {draft ? (
          <div className="conn-form">
            <h3>{draft.editing ? `Edit ${draft.name}` : 'New connection'}</h3>
            <label className="field">
              <span>
                Name<Required />
              </span>
              <input aria-label="Connection name" aria-required="true" aria-invalid={problems[''] ? true : undefined} value={draft.name} disabled={draft.editing} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
              <Problem text={problems['']} />
            </label>
            <label className="field">
              Type
              <select aria-label="Connection type" value={draft.type} disabled={draft.editing} onChange={(e) => setDraft({ ...draft, type: e.target.value, fields: {} })}>
                {types.map((t) => (
                  <option key={t.type} value={t.type}>
                    {t.label}
                  </option>
                ))}
              </select>
            </label>
            {fields.map((f) => {
              const secret = typeInfo?.secretFields.includes(f.key);
              const value = secret ? (draft.secrets[f.key] ?? '') : draft.fields[f.key];
              return (
                <label className={`field${problems[f.key] ? ' invalid' : ''}`} key={f.key}>
                  <span>
                    {f.label}
                    {f.required && !secret && <Required />}
                  </span>
                  {secret && draft.editing && <span className="muted small"> (leave empty to keep the stored one)</span>}
                  {(f.kind === 'boolean' || f.kind === 'tristate') && !secret ? (
                    <select
                      aria-label={f.label}
                      value={value === true ? 'true' : value === false ? 'false' : ''}
                      onChange={(e) => setDraft({ ...draft, fields: { ...draft.fields, [f.key]: e.target.value === '' ? undefined : e.target.value === 'true' } })}
                    >
                      <option value="">{f.default !== undefined ? `Default (${f.default ? 'yes' : 'no'})` : 'Default'}</option>
                      <option value="true">yes</option>
                      <option value="false">no</option>
                    </select>
                  ) : f.kind === 'key-value' && !secret ? (
                    <textarea
                      aria-label={f.label}
                      placeholder={'{"Name": "value"}'}
                      value={typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value, null, 1)}
                      onChange={(e) => setDraft({ ...draft, fields: { ...draft.fields, [f.key]: e.target.value === '' ? undefined : e.target.value } })}
                    />
                  ) : f.kind === 'select' && !secret ? (
                    <select
                      aria-label={f.label}
                      value={value === undefined || value === null ? '' : String(value)}
                      onChange={(e) => setDraft({ ...draft, fields: { ...draft.fields, [f.key]: e.target.value === '' ? undefined : e.target.value } })}
                    >
                      <option value="">{f.default !== undefined ? `Default (${String(f.default)})` : 'Choose…'}</option>
                      {f.options?.map((o) => (
                        <option key={o} value={o}>
                          {o}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <input
                      aria-label={f.label}
                      aria-required={f.required && !secret ? true : undefined}
                      aria-invalid={problems[f.key] ? true : undefined}
                      inputMode={f.kind === 'number' ? (f.integer ? 'numeric' : 'decimal') : undefined}
                      type={secret ? 'password' : 'text'}
                      placeholder={f.placeholder ?? (f.default !== undefined ? String(f.default) : '')}
                      value={value === undefined || value === null ? '' : String(value)}
                      onChange={(e) => {
                        const v = e.target.value;
                        if (secret) setDraft({ ...draft, secrets: { ...draft.secrets, [f.key]: v } });
                        // Kept as typed (numbers too, or `0.` would lose its point); converted on save.
                        else setDraft({ ...draft, fields: { ...draft.fields, [f.key]: v === '' ? undefined : v } });
                      }}
                    />
                  )}
                  <Problem text={problems[f.key]} />
                  {f.help && <span className="help">{f.help}</span>}
                </label>
              );
            })}
            <div className="modal-actions">
              <button onClick={() => startDraft(null)}>Cancel</button>
              <button className="primary" onClick={() => void saveDraft()}>
                Save connection
              </button>
            </div>
          </div>
        ) : (
          <div className="modal-actions">
            <button onClick={() => startDraft({ editing: false, name: '', type: types[0]?.type ?? 'postgres', fields: {}, secrets: {} })} disabled={types.length === 0}>
              Add connection
            </button>
            <button onClick={close}>Close</button>
          </div>
        )}
      </div>
    </div>
  );
}

function Required() {
  return (
    <span className="req" aria-hidden="true">
      {' '}
      *
    </span>
  );
}

function Problem({ text }: { text?: string }) {
  return text ? (
    <span className="field-error" role="alert">
      {text}
    </span>
  ) : null;
}
