/**
 * Renaming the relations a pasted SQL query reads. Pasting a source with the SQL node that reads it
 * gives both fresh ids when theirs are taken; the query still names the old one. It is rewritten
 * only where that is unambiguous: every use of the old id, outside strings, comments and other
 * names, is a relation right after FROM or JOIN (`FROM orders`, `JOIN "orders"`), or qualifies a
 * column (`orders.amount`) in a query that reads it that way. Any other use (a column that happens
 * to have the same name, `FROM a, orders`, a table function) leaves the query as it is, and the
 * check says which relation it reads that is not one of its inputs.
 */

type Token = { kind: 'word' | 'quoted' | 'other'; text: string; from: number; to: number };

function tokens(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "'") {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" ? 2 : 1;
      out.push({ kind: 'other', text: sql.slice(i, j + 1), from: i, to: j + 1 });
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === '"' && sql[j + 1] !== '"')) j += sql[j] === '"' ? 2 : 1;
      out.push({ kind: 'quoted', text: sql.slice(i + 1, j).replace(/""/g, '"'), from: i, to: j + 1 });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /[\w$]/.test(sql[j]!)) j++;
      out.push({ kind: 'word', text: sql.slice(i, j), from: i, to: j });
      i = j;
    } else {
      out.push({ kind: 'other', text: c, from: i, to: i + 1 });
      i++;
    }
  }
  return out;
}

/** The query with `from` renamed to `to` where every use of `from` is unambiguous, else undefined (left as it is). */
export function renameRelation(sql: string, from: string, to: string): string | undefined {
  const toks = tokens(sql);
  const edits: Array<{ from: number; to: number; text: string }> = [];
  let asRelation = false;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    const named = (t.kind === 'word' && t.text.toLowerCase() === from.toLowerCase()) || (t.kind === 'quoted' && t.text === from);
    if (!named) continue;
    const prev = toks[k - 1];
    const next = toks[k + 1];
    const text = t.kind === 'quoted' ? `"${to.replace(/"/g, '""')}"` : to;
    if (prev?.kind === 'word' && /^(from|join)$/i.test(prev.text) && next?.text !== '(' && next?.text !== '.') {
      asRelation = true;
      edits.push({ from: t.from, to: t.to, text });
    } else if (next?.text === '.' && prev?.text !== '.') {
      edits.push({ from: t.from, to: t.to, text });
    } else return undefined;
  }
  if (!asRelation) return undefined;
  let out = sql;
  for (const e of edits.reverse()) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  return out;
}
