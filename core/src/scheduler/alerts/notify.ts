import type { SecretStore } from '../../secrets/secret-store.js';
import { errorMessage } from '../../util/errors.js';
import type { Alert, AlertNotifier } from '../alert-types.js';
import type { LogSink } from '../log.js';
import type { AlertChannel } from '../project.js';
import { sendEmail } from './email.js';
import { channelSecrets } from './secrets.js';
import { sendWebhook } from './webhook.js';

/** Sends one alert through one channel, its secrets read just before (never kept, never logged). */
export async function sendAlert(name: string, channel: AlertChannel, alert: Alert, stores: readonly SecretStore[], opts: { retryDelayMs?: number } = {}): Promise<void> {
  const secrets = await channelSecrets(name, channel, stores);
  if (channel.type === 'webhook') await sendWebhook(name, channel, secrets, alert, opts);
  else await sendEmail(name, channel, secrets, alert);
}

/** The scheduler's notifier: every channel in parallel; a failure is logged (alert_failed), never thrown. */
export function makeNotifier(channels: Record<string, AlertChannel>, stores: readonly SecretStore[], log: LogSink): AlertNotifier {
  return async (alert, names) => {
    await Promise.all(
      names.map(async (name) => {
        const channel = channels[name];
        if (!channel) return;
        try {
          await sendAlert(name, channel, alert, stores);
          log({ at: new Date().toISOString(), level: 'info', event: 'alert_sent', message: `alert (${alert.kind}) sent to ${name}`, job: alert.job, runId: alert.runId, channel: name });
        } catch (e) {
          log({ at: new Date().toISOString(), level: 'error', event: 'alert_failed', message: `alert (${alert.kind}) to ${name} failed: ${errorMessage(e)}`, job: alert.job, runId: alert.runId, channel: name });
        }
      }),
    );
  };
}
