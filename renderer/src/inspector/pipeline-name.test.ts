import { describe, expect, it } from 'vitest';
import { pipelineNameProblem } from './pipeline-name.js';

describe('a pipeline name typed in the inspector', () => {
  it('is taken when the host would take it', () => {
    expect(pipelineNameProblem('Sales EU – daily')).toBeUndefined();
  });

  it('with a tab, a line break or a bidi control is refused in the words of the host', () => {
    for (const name of ['Sales\tEU', 'Sales\nEU', 'Sales \u202eevil']) expect(pipelineNameProblem(name)).toMatch(/^A pipeline name holds no control characters/);
  });
});
