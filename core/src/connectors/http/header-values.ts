import { CaudalError } from '../../util/errors.js';

// eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** Whether a header value holds a line break or another control character (tab aside), which HTTP clients strip or refuse. */
export const unsendableInHeader = (value: string): boolean => CONTROL.test(value);

/**
 * A node's headers with pipeline params filled in. A value that then holds a line break or another
 * control character is refused, naming the header: HTTP clients strip them (`a\r\nX-Evil: 1` went
 * out as `aX-Evil: 1`) or refuse the request, so the header sent would not be the one written.
 */
export function filledHeaders(headers: Record<string, string>, text: (s: string) => string, nodeId: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, template] of Object.entries(headers)) {
    const value = text(template);
    if (unsendableInHeader(value) && !unsendableInHeader(template)) {
      const message = `node '${nodeId}': header '${name}' would hold ${JSON.stringify(value)} once its params are filled in: a line break or another control character cannot be sent in a header`;
      throw new CaudalError('validation', message, { nodeId, problems: [{ code: 'invalid_param', path: `params.headers.${name}`, message, hint: 'give the param a value without line breaks or control characters' }] });
    }
    out[name] = value;
  }
  return out;
}
