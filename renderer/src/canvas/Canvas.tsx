/** The pipeline graph: React Flow in controlled mode over the document, selection from the UI store. */
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import {
  ReactFlow,
  Background,
  Controls,
  MiniMap,
  useReactFlow,
  type Connection,
  type Edge,
  type Node,
  type NodeChange,
  type EdgeChange,
} from '@xyflow/react';
import { useDocument } from '../store/document.js';
import { useUi } from '../store/ui.js';
import { previewKey, useResults } from '../store/results.js';
import { moveNodes } from '../store/doc-ops.js';
import { NodeCard } from './NodeCard.js';
import { NodeMenu, type NodeMenuState } from './NodeMenu.js';
import { nodeData, stabilize, type CanvasNodeData } from './node-data.js';
import { addNodeOfType, connect, edgeKey } from './actions.js';

const nodeTypes = { caudal: NodeCard };
export const PALETTE_MIME = 'application/x-caudal-node-type';

let dragGesture = 0;
const LARGE_GRAPH = 150;

export function Canvas() {
  const doc = useDocument((s) => s.doc);
  const change = useDocument((s) => s.change);
  const endGesture = useDocument((s) => s.endGesture);
  const selectedNodes = useUi((s) => s.selectedNodes);
  const selectedEdges = useUi((s) => s.selectedEdges);
  const select = useUi((s) => s.select);
  const typeMap = useResults((s) => s.typeMap);
  const problemsByNode = useResults((s) => s.problemsByNode);
  const run = useResults((s) => s.run);
  const previews = useResults((s) => s.previews);
  const schemas = useResults((s) => s.schemas);
  const { screenToFlowPosition, fitView } = useReactFlow();
  const fitRequest = useUi((s) => s.fitRequest);
  useEffect(() => {
    // Runs after React Flow took the new positions (its store updates in a child effect).
    if (fitRequest > 0) void fitView({ duration: 200, maxZoom: 1 });
  }, [fitRequest, fitView]);
  const loads = useDocument((s) => s.loads);
  useEffect(() => {
    // A freshly opened document: show all of it (after React Flow measured the nodes).
    if (useDocument.getState().doc.nodes.length > 0) setTimeout(() => void fitView({ maxZoom: 1 }), 60);
  }, [loads, fitView]);
  const cache = useRef(new Map<string, { key: string; value: CanvasNodeData }>());
  const gesture = useRef<string | null>(null);
  const [hoverEdge, setHoverEdge] = useState<string | null>(null);
  const [menu, setMenu] = useState<NodeMenuState | null>(null);
  // The minimap redraws every node on every move: on large graphs it sits out the drag.
  const [draggingLarge, setDraggingLarge] = useState(false);
  // React Flow measures nodes and reports sizes as changes; controlled nodes must carry them back.
  const measured = useRef(new Map<string, { width: number; height: number }>());
  const [measureTick, setMeasureTick] = useState(0);
  const nodeCache = useRef(new Map<string, Node<CanvasNodeData>>());

  const nodes: Node<CanvasNodeData>[] = useMemo(() => {
    const sel = new Set(selectedNodes);
    const next = new Map<string, Node<CanvasNodeData>>();
    const list = doc.nodes.map((n) => {
      const info = typeMap.get(n.type);
      const port = info?.outputs[0]?.name;
      const data = stabilize(cache.current, n.id, nodeData(n, info, problemsByNode[n.id], run?.nodes[n.id], port ? previews[previewKey(n.id, port)] : undefined));
      const position = doc.layout?.nodes[n.id] ?? { x: 0, y: 0 };
      const size = measured.current.get(n.id);
      const prev = nodeCache.current.get(n.id);
      // Unchanged nodes keep their object so React Flow skips them (matters while dragging many nodes).
      const node =
        prev && prev.data === data && prev.position === position && prev.selected === sel.has(n.id) && prev.measured?.width === size?.width && prev.measured?.height === size?.height
          ? prev
          : { id: n.id, type: 'caudal', position, data, selected: sel.has(n.id), measured: size };
      next.set(n.id, node);
      return node;
    });
    nodeCache.current = next;
    return list;
    // measureTick: recompute when React Flow reported new sizes.
  }, [doc.nodes, doc.layout, selectedNodes, typeMap, problemsByNode, run, previews, measureTick]);

  const edges: Edge[] = useMemo(() => {
    const sel = new Set(selectedEdges);
    return doc.edges.map((e) => {
      const key = edgeKey(e);
      const [fromNode, fromPort] = e.from.split(':') as [string, string];
      const [toNode, toPort] = e.to.split(':') as [string, string];
      let label: string | undefined;
      if (hoverEdge === key) {
        const cols = schemas[fromNode]?.outputs.find((o) => o.port === fromPort)?.columns;
        label = cols ? (cols.length > 6 ? `${cols.slice(0, 6).map((c) => `${c.name} ${c.type}`).join(', ')} … (+${cols.length - 6})` : cols.map((c) => `${c.name} ${c.type}`).join(', ')) : 'schema unknown';
      }
      const status = run?.nodes[toNode]?.status;
      return {
        id: key,
        source: fromNode,
        sourceHandle: fromPort,
        target: toNode,
        targetHandle: toPort,
        selected: sel.has(key),
        label,
        animated: status === 'running',
        className: fromPort !== 'out' ? `port-${fromPort}` : undefined,
        labelBgPadding: [6, 3] as [number, number],
      };
    });
  }, [doc.edges, selectedEdges, hoverEdge, schemas, run]);

  const onNodesChange = useCallback(
    (changes: NodeChange<Node<CanvasNodeData>>[]) => {
      const positions: Record<string, { x: number; y: number }> = {};
      let dragEnded = false;
      let resized = false;
      let selection: Set<string> | null = null;
      for (const c of changes) {
        if (c.type === 'dimensions' && c.dimensions) {
          measured.current.set(c.id, c.dimensions);
          resized = true;
        } else if (c.type === 'select') {
          selection ??= new Set(useUi.getState().selectedNodes);
          if (c.selected) selection.add(c.id);
          else selection.delete(c.id);
        } else if (c.type === 'position') {
          if (c.position) positions[c.id] = c.position;
          if (c.dragging === false) dragEnded = true;
        }
      }
      if (Object.keys(positions).length > 0) {
        if (gesture.current === null && useDocument.getState().doc.nodes.length > LARGE_GRAPH) setDraggingLarge(true);
        gesture.current ??= `drag:${++dragGesture}`;
        change((d) => moveNodes(d, positions), { gesture: gesture.current });
      }
      if (dragEnded) {
        gesture.current = null;
        setDraggingLarge(false);
        endGesture();
      }
      if (selection) {
        const order = useDocument.getState().doc.nodes.map((n) => n.id).filter((id) => selection!.has(id));
        select(order, useUi.getState().selectedEdges);
      }
      if (resized) setMeasureTick((t) => t + 1);
    },
    [change, endGesture, select],
  );

  // Edge removal goes through the Delete shortcut (one undo step with the nodes).
  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      let selection: Set<string> | null = null;
      for (const c of changes) {
        if (c.type !== 'select') continue;
        selection ??= new Set(useUi.getState().selectedEdges);
        if (c.selected) selection.add(c.id);
        else selection.delete(c.id);
      }
      if (selection) select(useUi.getState().selectedNodes, [...selection]);
    },
    [select],
  );

  const onConnect = useCallback((c: Connection) => {
    if (c.source && c.target && c.sourceHandle && c.targetHandle) connect({ from: `${c.source}:${c.sourceHandle}`, to: `${c.target}:${c.targetHandle}` });
  }, []);

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(PALETTE_MIME)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    }
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const type = e.dataTransfer.getData(PALETTE_MIME);
      if (!type) return;
      e.preventDefault();
      const p = screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addNodeOfType(type, { x: p.x - 90, y: p.y - 30 });
    },
    [screenToFlowPosition],
  );

  return (
    <div className="canvas" onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onNodeContextMenu={(e, n) => {
          e.preventDefault();
          // The menu acts on the selection: a node outside it becomes the selection.
          if (!useUi.getState().selectedNodes.includes(n.id)) select([n.id]);
          setMenu({ nodeId: n.id, x: e.clientX, y: e.clientY });
        }}
        onEdgeMouseEnter={(_, e) => setHoverEdge(e.id)}
        onEdgeMouseLeave={() => setHoverEdge(null)}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Meta', 'Control']}
        defaultViewport={{ x: 40, y: 40, zoom: 1 }}
        minZoom={0.1}
        proOptions={{ hideAttribution: true }}
        onlyRenderVisibleElements={doc.nodes.length > 150}
      >
        <Background gap={16} />
        {!draggingLarge && <MiniMap pannable zoomable ariaLabel="Mini map" />}
        <Controls showInteractive={false} />
      </ReactFlow>
      {menu && <NodeMenu menu={menu} onClose={() => setMenu(null)} />}
    </div>
  );
}
