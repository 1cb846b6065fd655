/**
 * CodeMirror 6 SQL editor: highlighting, column completion from the input schema, and inline errors
 * from binding the expression against it (problems come from the host). Undo is the studio's own
 * (Ctrl+Z undoes document edits), so the editor keeps no history of its own.
 */
import { useEffect, useRef } from 'react';
import { EditorState, Compartment } from '@codemirror/state';
import { EditorView, keymap, placeholder as placeholderExt, drawSelection } from '@codemirror/view';
import { defaultKeymap } from '@codemirror/commands';
import { sql, PostgreSQL } from '@codemirror/lang-sql';
import { autocompletion, completionKeymap, closeBrackets } from '@codemirror/autocomplete';
import { setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { syntaxHighlighting, defaultHighlightStyle } from '@codemirror/language';
import type { Column } from '../model/types.js';

export interface SqlError {
  message: string;
  /** Underline this name when it appears in the text. */
  column?: string;
}

interface Props {
  value: string;
  onChange(value: string): void;
  onBlur?(): void;
  /** Columns offered unqualified (expressions). */
  columns: Column[];
  /** Tables for full queries (transform.sql: upstream node ids). */
  tables?: Record<string, Column[]>;
  errors: SqlError[];
  placeholder?: string;
  multiline?: boolean;
  ariaLabel: string;
}

function languageFor(columns: Column[], tables?: Record<string, Column[]>) {
  const schema: Record<string, string[]> = { input: columns.map((c) => c.name) };
  for (const [t, cols] of Object.entries(tables ?? {})) schema[t] = cols.map((c) => c.name);
  return sql({ dialect: PostgreSQL, schema, defaultTable: tables ? undefined : 'input', upperCaseKeywords: true });
}

export function diagnosticsFor(text: string, errors: SqlError[]): Diagnostic[] {
  return errors.map((e) => {
    let from = 0;
    let to = text.length;
    if (e.column) {
      const at = text.toLowerCase().indexOf(e.column.toLowerCase());
      if (at >= 0) {
        from = at;
        to = at + e.column.length;
      }
    }
    return { from, to: Math.max(to, from), severity: 'error', message: e.message };
  });
}

export function SqlEditor(props: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const lang = useRef(new Compartment());
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    const state = EditorState.create({
      doc: props.value,
      extensions: [
        drawSelection(),
        closeBrackets(),
        autocompletion({ activateOnTyping: true }),
        keymap.of([...completionKeymap, ...defaultKeymap]),
        syntaxHighlighting(defaultHighlightStyle),
        lang.current.of(languageFor(props.columns, props.tables)),
        placeholderExt(props.placeholder ?? ''),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': props.ariaLabel }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          if (u.focusChanged && !u.view.hasFocus) latest.current.onBlur?.();
        }),
        props.multiline ? [] : keymap.of([{ key: 'Enter', run: () => true }]),
      ],
    });
    const v = new EditorView({ state, parent: host.current! });
    view.current = v;
    return () => v.destroy();
    // The editor is created once; later prop changes are applied by the effects below.
  }, []);

  // External changes (undo, another field) replace the text without re-creating the editor.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
  }, [props.value]);

  useEffect(() => {
    view.current?.dispatch({ effects: lang.current.reconfigure(languageFor(props.columns, props.tables)) });
  }, [props.columns, props.tables]);

  useEffect(() => {
    const v = view.current;
    if (v) v.dispatch(setDiagnostics(v.state, diagnosticsFor(v.state.doc.toString(), props.errors)));
  }, [props.errors, props.value]);

  return <div className={`sql-editor${props.errors.length > 0 ? ' has-error' : ''}${props.multiline ? ' multiline' : ''}`} ref={host} />;
}
