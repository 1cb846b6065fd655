import { describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, tempDir } from './support/pipeline.js';

/**
 * A pipeline can do what this build of DuckDB links in, and nothing it would download: an
 * expression naming a function of another extension is refused while planning, without DuckDB
 * fetching the extension over the network into the user's home folder.
 */
describe('DuckDB extensions', () => {
  it('are never installed or loaded on demand', async () => {
    const r = await preview(pipeline([{ id: 'q', type: 'transform.sql', params: { query: "SELECT current_setting('autoinstall_known_extensions') AS install, current_setting('autoload_known_extensions') AS load" } }]), await tempDir(), 'q');
    expect(r.rows).toEqual([{ install: false, load: false }]);
  });

  it("a function of one the build lacks is refused, saying so, not with DuckDB's advice to INSTALL it", async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1.5 AS x' } },
        { id: 'd', type: 'transform.derive', params: { columns: [{ name: 't', expression: "excel_text(x, '0.0')" }] } },
      ],
      ['src -> d'],
    );
    const [problem, ...rest] = await problemsOf(doc, await tempDir());
    expect(rest).toEqual([]);
    expect(problem!.message).toContain(`"excel_text" is in DuckDB's excel extension, which Caudal does not include`);
    expect(problem!.message).not.toContain('INSTALL');
  });
});
