import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { DataGrid } from './DataGrid.js';

describe('preview grid', () => {
  it('renders only the rows in view (plus a margin), however many rows it holds', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, name: `n${i}` }));
    const html = renderToStaticMarkup(
      <DataGrid
        columns={[
          { name: 'id', type: 'BIGINT' },
          { name: 'name', type: 'VARCHAR' },
        ]}
        rows={rows}
      />,
    );
    const rendered = html.match(/class="grid-row"/g)?.length ?? 0;
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(60);
    expect(html).toContain('aria-rowcount="5000"');
    expect(html).toContain(`height:${5000 * 24}px`);
    expect(html).toContain('BIGINT · <span class="">0% null</span>');
  });
});
