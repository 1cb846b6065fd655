/** The pipeline's name as the host checks it (core's own rule, so the form says what a save would). */
import { pipelineSchema } from '../../../core/src/model/schema.js';

/** What is wrong with a name typed for the pipeline, in words, or undefined when the host takes it. */
export function pipelineNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'A pipeline needs a name.';
  const r = pipelineSchema.shape.name.safeParse(name);
  if (r.success) return undefined;
  const message = r.error.issues[0]?.message ?? 'not a valid pipeline name';
  return `${message.charAt(0).toUpperCase()}${message.slice(1)}.`;
}
