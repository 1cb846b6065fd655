import type { IncomingHttpHeaders } from 'node:http';

/**
 * Who may talk to `caudal serve` besides the token check. Two browser attacks get past a
 * loopback-only listener without ever seeing the token:
 *
 * - DNS rebinding: a foreign site re-points its own name at 127.0.0.1, so the browser sends the
 *   request with `Host: evil.example:<port>`. Only the loopback names with our port are accepted.
 * - Cross-site WebSocket hijacking and cross-site requests: any page can open a WebSocket or send
 *   a form to 127.0.0.1; the browser then says where it comes from in `Origin`. Only our own origin
 *   is accepted, or no Origin at all (curl, scripts and tests do not send one; browsers always do
 *   on WebSocket upgrades and POSTs).
 *
 * Returns why the request is refused, or undefined when it may go on to the token check.
 */
export function foreignRequest(headers: IncomingHttpHeaders, port: number): string | undefined {
  const own = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const host = headers.host?.toLowerCase();
  if (!host || !own.has(host))
    return `Host '${headers.host ?? ''}' is not this server: caudal serve answers only requests addressed to 127.0.0.1:${port} or localhost:${port}`;
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  if (!own.has(origin.toLowerCase().replace(/^http:\/\//, '')) || !/^http:\/\//i.test(origin))
    return `requests from the page at '${origin}' are not accepted: only the studio's own page (http://${host}) may call this server`;
  return undefined;
}
