import os from 'node:os';
import { sendAlert } from '../scheduler/alerts/notify.js';
import { secretFields, secretOwner, secretVariable } from '../scheduler/alerts/secrets.js';
import { findProjectFile, loadProject } from '../scheduler/load-project.js';
import { EnvSecretStore } from '../secrets/env-store.js';
import { KeychainSecretStore } from '../secrets/keychain-store.js';
import { CaudalError, errorMessage } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { parse } from './args.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { readSecrets } from './secret-input.js';

/** `caudal alerts set-secret <channel> [field]` (asks, stores in the OS keychain) and `caudal alerts test <channel>`. */
export async function alertsCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'set-secret' && sub !== 'test') throw new CaudalError('usage', sub ? `unknown alerts command '${sub}'` : 'alerts needs a command', { hint: 'alerts set-secret <channel> [field] | test <channel>' });
  // set-secret takes the channel and, for a channel with several secrets, the field.
  const { values, positionals } = parse(rest, {
    positionals: sub === 'set-secret' ? 2 : 1,
    only: ['file', 'quiet'],
    command: `alerts ${sub}`,
    takes: sub === 'set-secret' ? 'a channel name and a secret field' : 'one channel name',
  });
  const project = await loadProject(findProjectFile(values.file));
  const name = positionals[0];
  const names = Object.keys(project.alerts);
  const channel = name ? project.alerts[name] : undefined;
  if (!name || !channel)
    throw new CaudalError('usage', name ? `no alert channel '${name}' in ${project.file}${didYouMean(name, names)}` : `alerts ${sub} needs a channel name`, { hint: names.length > 0 ? `channels: ${names.join(', ')}` : 'define channels under "alerts" in the project file' });
  switch (sub) {
    case 'set-secret': {
      const needed = secretFields(channel);
      const field = positionals[1] ?? needed[0];
      if (!field || !needed.includes(field))
        throw new CaudalError('usage', needed.length === 0 ? `alert channel '${name}' needs no secret` : `alert channel '${name}' has no secret '${field}'`, { hint: needed.length > 0 ? `its secrets: ${needed.join(', ')}` : undefined });
      const { [field]: value } = await readSecrets([field], io.stdin ?? process.stdin, io.stderr);
      if (value === undefined) throw new CaudalError('usage', `no ${field} given`);
      await new KeychainSecretStore().set(secretOwner(name), field, value);
      if (!values.quiet) io.stderr.write(`✔ ${field} of alert channel '${name}' stored in the OS keychain (headless: ${secretVariable(name, field)})\n`);
      return EXIT.ok;
    }
    case 'test': {
      const now = new Date().toISOString();
      try {
        await sendAlert(name, channel, { kind: 'failure', project: project.name, job: '(test)', runId: 'test', pipeline: '(none)', message: `test alert from caudal on ${os.hostname()}: if you read this, channel '${name}' works`, attempt: 1, startedAt: now, runDir: project.dir, host: os.hostname(), at: now, status: 'test' }, [new EnvSecretStore(), new KeychainSecretStore()]);
      } catch (e) {
        // A channel that is set up wrong is a usage error (exit 2); one that did not take the alert, a failure (exit 1).
        if (e instanceof CaudalError) throw e;
        throw new CaudalError('execution', errorMessage(e));
      }
      if (!values.quiet) io.stderr.write(`✔ test alert sent to '${name}'\n`);
      return EXIT.ok;
    }
  }
}
