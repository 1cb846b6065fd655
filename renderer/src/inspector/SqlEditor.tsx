/**
 * CodeMirror 6 SQL editor: highlighting, column completion from the input schema, and inline errors
 * from binding the expression against it (problems come from the host). Undo is the studio's own
 * (Ctrl+Z undoes document edits), so the editor keeps no history of its own.
 */
import { useEffect, useRef } from 'react';
import { Annotation, EditorState, Compartment, Prec } from '@codemirror/state';
import { EditorView, keymap, placeholder as placeholderExt, drawSelection, tooltips } from '@codemirror/view';
import { defaultKeymap } from '@codemirror/commands';
import { sql, PostgreSQL, keywordCompletionSource } from '@codemirror/lang-sql';
import { autocompletion, completionKeymap, closeBrackets, type Completion, type CompletionContext, type CompletionSource } from '@codemirror/autocomplete';
import { setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { syntaxHighlighting, defaultHighlightStyle } from '@codemirror/language';
import type { Column } from '../model/types.js';
import { lineSeparatorOf } from './line-endings.js';

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

/**
 * Completion: the input's columns first (with their types), then upstream tables for full queries,
 * then SQL keywords. Column names are what users type most, so they must not drown in keywords.
 */
export function completionSource(columns: Column[], tables?: Record<string, Column[]>): CompletionSource {
  const keywords = keywordCompletionSource(PostgreSQL, false);
  return async (ctx: CompletionContext) => {
    const word = ctx.matchBefore(/[A-Za-z_][\w]*/);
    if (!word && !ctx.explicit) return null;
    const from = word?.from ?? ctx.pos;
    // Each name once: a column of several inputs (or of the input and a table) is one entry.
    const seen = new Set<string>();
    const once = (o: Completion) => (seen.has(o.label) ? [] : (seen.add(o.label), [o]));
    const options: Completion[] = [
      ...columns.flatMap((c) => once({ label: c.name, type: 'property', detail: c.type, boost: 50 })),
      ...Object.keys(tables ?? {}).flatMap((t) => once({ label: t, type: 'class', detail: 'input', boost: 40 })),
      ...Object.values(tables ?? {})
        .flat()
        .flatMap((c) => once({ label: c.name, type: 'property', detail: c.type, boost: 30 })),
    ];
    const kw = await keywords(ctx);
    const keywordOptions = (kw?.options ?? []).filter((o) => !seen.has(o.label)).map((o) => ({ ...o, boost: -10 }));
    return { from, options: [...options, ...keywordOptions], validFor: /^[\w]*$/ };
  };
}

/** Enter accepts a shown completion at once (the default 75 ms grace period made quick Enters insert a line break). */
function autocomplete(columns: Column[], tables?: Record<string, Column[]>) {
  return autocompletion({ activateOnTyping: true, interactionDelay: 0, override: [completionSource(columns, tables)] });
}

/** Where in `text` `word` appears as a whole word (case-insensitive), or -1. */
function wordAt(text: string, word: string): number {
  const re = new RegExp(`(^|[^\\w])(${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})(?![\\w])`, 'i');
  const m = re.exec(text);
  return m ? m.index + m[1]!.length : -1;
}

/**
 * The part of the text an error is about: the unknown column, the token a syntax error names
 * ("at or near "AND""), the character a shape check names, the end for "at end of input";
 * the whole text only when nothing more precise is known.
 */
export function errorRange(text: string, e: SqlError): { from: number; to: number } {
  const whole = { from: 0, to: text.length };
  const span = (at: number, len: number) => (at >= 0 && at < text.length ? { from: at, to: Math.min(text.length, at + Math.max(1, len)) } : null);
  if (e.column) {
    const r = span(wordAt(text, e.column), e.column.length) ?? span(text.toLowerCase().indexOf(e.column.toLowerCase()), e.column.length);
    if (r) return r;
  }
  const near = /at or near "([^"]+)"/.exec(e.message);
  const atEnd = () => {
    const end = text.trimEnd().length;
    const start = Math.max(0, text.slice(0, end).search(/\S+$/));
    return { from: start, to: Math.min(text.length, Math.max(end, start + 1)) };
  };
  if (near) {
    const r = span(wordAt(text, near[1]!), near[1]!.length) ?? span(text.indexOf(near[1]!), near[1]!.length);
    if (r) return r;
    // A token that is not in the text (the ')' the studio wraps an expression in): it ended too soon.
    if (text.trim()) return atEnd();
  }
  const char = /at character (\d+)/.exec(e.message);
  if (char) {
    const r = span(Number(char[1]) - 1, 1);
    if (r) return r;
  }
  if (/unclosed '\('/.test(e.message)) {
    const r = span(text.lastIndexOf('('), 1);
    if (r) return r;
  }
  if (/at end of input|unexpected end/i.test(e.message) && text.trim()) return atEnd();
  return whole;
}

export function diagnosticsFor(text: string, errors: SqlError[]): Diagnostic[] {
  return errors.map((e) => {
    const { from, to } = errorRange(text, e);
    return { from, to: Math.max(to, from), severity: 'error', message: e.message };
  });
}

/**
 * The editor's line separator, from the text it opens with: CodeMirror would otherwise split on any
 * line break and join with LF, turning CRLF into LF on the first edit (inside string literals too).
 */
export function keepLineSeparator(text: string) {
  return EditorState.lineSeparator.of(lineSeparatorOf(text));
}

/** Marks the editor's own replacement of its text by the document's value (not a user edit: not emitted). */
const fromDocument = Annotation.define<boolean>();

export function SqlEditor(props: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const completion = useRef(new Compartment());
  const latest = useRef(props);
  // Bumped by every change the editor makes itself (a keystroke, a completion), and read during the
  // render: when it moved between the render and its effect, the value rendered is behind the editor.
  const revision = useRef(0);
  const renderedRevision = revision.current;
  latest.current = props;

  useEffect(() => {
    const state = EditorState.create({
      doc: props.value,
      extensions: [
        keepLineSeparator(props.value),
        drawSelection(),
        // Completion lists and error tips float above the page, not clipped by the inspector panel.
        tooltips({ parent: document.body }),
        closeBrackets(),
        completion.current.of(autocomplete(props.columns, props.tables)),
        keymap.of([...completionKeymap, ...defaultKeymap]),
        syntaxHighlighting(defaultHighlightStyle),
        sql({ dialect: PostgreSQL, upperCaseKeywords: true }),
        placeholderExt(props.placeholder ?? ''),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': props.ariaLabel }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged && !u.transactions.some((t) => t.annotation(fromDocument))) {
            revision.current += 1;
            // sliceDoc joins lines with the editor's separator (doc.toString() always uses LF).
            latest.current.onChange(u.state.sliceDoc());
          }
          if (u.focusChanged && !u.view.hasFocus) latest.current.onBlur?.();
        }),
        // One-line fields: Enter never inserts a line break (it would otherwise beat this binding in defaultKeymap).
        props.multiline ? [] : Prec.high(keymap.of([{ key: 'Enter', run: () => true }])),
      ],
    });
    const v = new EditorView({ state, parent: host.current! });
    view.current = v;
    return () => v.destroy();
    // The editor is created once; later prop changes are applied by the effects below.
  }, []);

  // External changes (undo) replace the text without re-creating the editor. Each edit is in the
  // document as soon as the editor emits it, so a value rendered with no edit since is what the
  // document holds, and the editor shows it (even a text it once held itself: undo back to it). A
  // value rendered before the editor's latest edit is only behind: the next render brings that edit.
  useEffect(() => {
    const v = view.current;
    if (!v || v.state.sliceDoc() === props.value) return;
    if (revision.current !== renderedRevision) return;
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value }, annotations: fromDocument.of(true) });
  }, [props.value]);

  // Re-checks hand over new arrays with the same columns: reconfigure only on a real change, or an
  // open completion list would close under the user's fingers.
  const schemaKey = JSON.stringify([props.columns.map((c) => c.name), Object.entries(props.tables ?? {}).map(([t, c]) => [t, c.map((x) => x.name)])]);
  const firstKey = useRef(schemaKey);
  useEffect(() => {
    if (schemaKey === firstKey.current) return;
    firstKey.current = schemaKey;
    view.current?.dispatch({ effects: completion.current.reconfigure(autocomplete(latest.current.columns, latest.current.tables)) });
  }, [schemaKey]);

  useEffect(() => {
    const v = view.current;
    if (v) v.dispatch(setDiagnostics(v.state, diagnosticsFor(v.state.doc.toString(), props.errors)));
  }, [props.errors, props.value]);

  return <div className={`sql-editor${props.errors.length > 0 ? ' has-error' : ''}${props.multiline ? ' multiline' : ''}`} ref={host} />;
}
