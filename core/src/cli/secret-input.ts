import { CaudalError } from '../util/errors.js';

/**
 * Secrets for `connections add`: asked at a terminal prompt without echo, or read from standard
 * input for scripts. Standard input holds `field=value` lines, or, for a type with a single secret
 * field, just the value (so `printenv PGPASSWORD | caudal connections add ...` works).
 */
export async function readSecrets(fields: readonly string[], stdin: NodeJS.ReadStream, prompt: NodeJS.WriteStream): Promise<Record<string, string>> {
  if (fields.length === 0) return {};
  if (stdin.isTTY) {
    const out: Record<string, string> = {};
    for (const f of fields) {
      const v = await askHidden(`${f} (leave empty for none): `, stdin, prompt);
      if (v !== '') out[f] = v;
    }
    return out;
  }
  const text = (await readAll(stdin)).replace(/\r?\n$/, '');
  if (text === '') return {};
  const lines = text.split(/\r?\n/);
  const pairs = lines.map((l) => {
    const i = l.indexOf('=');
    return i > 0 && fields.includes(l.slice(0, i)) ? ([l.slice(0, i), l.slice(i + 1)] as const) : undefined;
  });
  if (pairs.every((p) => p !== undefined)) return Object.fromEntries(pairs);
  if (fields.length === 1) return { [fields[0]!]: text };
  throw new CaudalError('usage', `standard input must hold lines of the form field=value for the secret fields ${fields.join(', ')}`);
}

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads one line in raw mode, echoing nothing. */
function askHidden(question: string, stdin: NodeJS.ReadStream, out: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve, reject) => {
    out.write(question);
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      out.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CaudalError('cancelled', 'cancelled at the prompt'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
