/** A pipeline of `count` nodes for canvas benchmarks: rows of CSV source → filter → … chains on a grid. */
export function manyNodesPipeline(count) {
  const perRow = 15;
  const nodes = [];
  const edges = [];
  const layout = {};
  for (let i = 0; i < count; i++) {
    const row = Math.floor(i / perRow);
    const col = i % perRow;
    const id = col === 0 ? `src_${row}` : `f_${row}_${col}`;
    nodes.push(col === 0 ? { id, type: 'source.csv', params: { path: 'data/products.csv' } } : { id, type: 'transform.filter', params: { condition: 'true' } });
    if (col > 0) edges.push({ from: `${col === 1 ? `src_${row}` : `f_${row}_${col - 1}`}:out`, to: `${id}:in` });
    layout[id] = { x: col * 230, y: row * 110 };
  }
  return { format: 'caudal.pipeline/1', name: `${count} nodes`, params: {}, connections: {}, nodes, edges, layout: { nodes: layout } };
}
