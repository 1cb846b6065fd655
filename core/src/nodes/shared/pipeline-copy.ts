import { createHash } from 'node:crypto';
import path from 'node:path';

/**
 * Which copy of a pipeline this is, for names a broker keeps for it (sink.kafka's transactional id,
 * source.kafka's default consumer group): the same for every run of one copy, different for copies
 * that share the pipeline's name but not its state folder (another project folder, another
 * --state-dir, another machine's folder). The hash of the absolute `<state folder>/<pipeline>`.
 */
export function pipelineCopyHash(pipelineStateFolder: string): string {
  return createHash('sha256').update(path.resolve(pipelineStateFolder)).digest('hex').slice(0, 12);
}
