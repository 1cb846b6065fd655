import nodemailer from 'nodemailer';
import type { z } from 'zod';
import type { Alert } from '../alert-types.js';
import type { emailChannelSchema } from '../project.js';

type EmailChannel = z.infer<typeof emailChannelSchema>;

/** How long a silent server is waited for (the channel's `timeout_s`). */
const DEFAULT_TIMEOUT_S = 30;

/** Sends the alert by SMTP (nodemailer), as plain text with the details and where the run's folder is. */
export async function sendEmail(name: string, c: EmailChannel, secrets: Record<string, string>, alert: Alert): Promise<void> {
  const transport = nodemailer.createTransport({
    host: c.host,
    port: c.port,
    secure: c.security === 'tls',
    requireTLS: c.security === 'starttls',
    ignoreTLS: c.security === 'none',
    auth: c.user === undefined ? undefined : { user: c.user, pass: secrets.password },
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: (c.timeout_s ?? DEFAULT_TIMEOUT_S) * 1000,
  });
  try {
    await transport.sendMail({ from: c.from, to: c.to, subject: subject(alert), text: body(alert) });
  } catch (e) {
    // nodemailer's messages name the server's answer, not the password; a server that echoes what it
    // was sent (its AUTH line) still must not put the password in the scheduler's log.
    const password = secrets.password;
    const message = password && password.length >= 4 ? (e as Error).message.split(password).join('(the password)') : (e as Error).message;
    throw new Error(`email '${name}' via ${c.host}:${c.port} failed: ${message}`, { cause: e });
  } finally {
    transport.close();
  }
}

export function subject(a: Alert): string {
  const what = a.kind === 'failure' ? (a.status === 'timed_out' ? 'timed out' : 'failed') : a.kind === 'quality' ? `quality ${a.qualityScore} < ${a.threshold}` : 'running late';
  return `[caudal] ${a.project} / ${a.job}: ${what}`;
}

export function body(a: Alert): string {
  const lines = [
    a.message,
    '',
    `Project:  ${a.project}`,
    `Job:      ${a.job}`,
    `Pipeline: ${a.pipeline}`,
    `Run:      ${a.runId} (attempt ${a.attempt}), started ${a.startedAt}`,
  ];
  if (a.status) lines.push(`Status:   ${a.status}`);
  if (a.error) lines.push(`Error:    ${a.error.message}`, ...(a.error.hint ? [`Hint:     ${a.error.hint}`] : []));
  if (a.qualityScore !== undefined && a.qualityScore !== null) lines.push(`Quality:  ${a.qualityScore} (threshold ${a.threshold})`);
  if (a.expectedMs !== undefined) lines.push(`Duration: ${Math.round((a.elapsedMs ?? 0) / 1000)} s so far, expected ${Math.round(a.expectedMs / 1000)} s`);
  lines.push(`Host:     ${a.host}`, `Run folder (run.json, events.jsonl, quality.html): ${a.runDir}`);
  return lines.join('\n') + '\n';
}
