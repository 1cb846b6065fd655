import type { ConnectionService } from '../connections/service.js';
import { getConnectionType } from '../connections/registry.js';
import type { ResolvedConnection } from '../nodes/define.js';
import type { Pipeline } from '../model/schema.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { resolveSecrets } from '../secrets/resolve.js';
import { CaudalError } from '../util/errors.js';

/**
 * The connections a pipeline declares, with their secrets, for the engine worker (which redacts
 * them from everything it sends back). Names the connections file does not know are left out:
 * the planner then reports them against the node that uses them.
 */
export async function resolveDeclaredConnections(doc: Pipeline, service: ConnectionService, stores: readonly SecretStore[]): Promise<Record<string, ResolvedConnection>> {
  const declared = Object.keys(doc.connections);
  if (declared.length === 0) return {};
  const known = new Map((await service.list()).map((c) => [c.name, c]));
  const out: Record<string, ResolvedConnection> = {};
  for (const name of declared) {
    const info = known.get(name);
    const def = info && getConnectionType(info.type);
    if (!info || !def) continue;
    // A secret the keychain could not read is asked for again, so its error (not "absent") comes through.
    const wanted = def.secrets.filter((f) => info.secrets[f] || (info.unreadable?.[f] !== undefined && typeof info.fields[f] !== 'string'));
    const secrets = await resolveSecrets(name, wanted, stores);
    const parsed = def.fields.safeParse({ ...info.fields, ...secrets });
    // Named like ConnectionService.resolve names it (a hand-edited file), never zod's dump of issues.
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CaudalError('usage', `connection '${name}' in ${info.file}: field '${issue.path.join('.')}': ${issue.message}`, { hint: `fix it with \`caudal connections add ${name} --type ${info.type} --set ...\`` });
    }
    out[name] = { name, type: info.type, config: parsed.data as Record<string, unknown> };
  }
  return out;
}
