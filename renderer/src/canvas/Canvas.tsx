/** The pipeline graph: React Flow in controlled mode over the document, selection from the UI store. */
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import {
  ReactFlow,
  Background,
  Controls,
  ControlButton,
  MiniMap,
  useReactFlow,
  useStoreApi,
  type Connection,
  type Edge,
  type Node,
  type NodeChange,
  type EdgeChange,
  type ReactFlowInstance,
} from '@xyflow/react';
import { useDocument } from '../store/document.js';
import { useUi } from '../store/ui.js';
import { previewKey, useResults } from '../store/results.js';
import { moveNodes, type XY } from '../store/doc-ops.js';
import { NodeCard } from './NodeCard.js';
import { NodeMenu, type NodeMenuState } from './NodeMenu.js';
import { nodeData, stabilize, type CanvasNodeData } from './node-data.js';
import { addNodeOfType, connect, edgeKey, unplacedSpot, setPointer, setViewCenter } from './actions.js';
import { entryKeys, upstreamSignature, waitingNodes } from '../store/graph.js';
import { CanvasOverlays } from './CanvasOverlays.js';
import { revealedProblems } from '../inspector/Inspector.js';

/** Below this zoom the cards switch to their compact, readable-from-afar form. */
const FAR_ZOOM = 0.6;
/** Fit-to-view never zooms out further than this: compact cards stay legible there. */
export const FIT_MIN_ZOOM = 0.3;

/** Fit padding that keeps nodes clear of the minimap, the zoom controls and the description banner. */
export function fitPadding(minimap: boolean, banner = false) {
  return { top: banner ? '120px' : '32px', left: '56px', right: minimap ? '200px' : '32px', bottom: minimap ? '40px' : '32px' } as const;
}

/** Whether the minimap shows: asked for, and a graph large enough to need it. */
export function minimapShown(): boolean {
  return useUi.getState().panels.minimap && useDocument.getState().doc.nodes.length >= 8;
}

/** Fit-to-view options as every caller uses them. */
export function fitOptions(duration = 200) {
  const banner = !!useDocument.getState().doc.description && !useUi.getState().aboutHidden;
  return { duration, maxZoom: 1, minZoom: FIT_MIN_ZOOM, padding: fitPadding(minimapShown(), banner) };
}

type FitTarget = Pick<ReactFlowInstance, 'getNodes' | 'getNodesBounds' | 'fitView' | 'setViewport'>;

/**
 * Fit-to-view (toolbar, F, the controls, opening a file). A graph too large to fit at a legible
 * zoom is shown at that zoom from its start (the sources, on the left) rather than shrunk to dots.
 */
export function fitGraph(rf: FitTarget, duration = 200): void {
  const nodes = rf.getNodes();
  const el = document.querySelector<HTMLElement>('[data-testid="canvas"]');
  if (nodes.length === 0 || !el) return;
  const opts = fitOptions(duration);
  const px = (v: string) => parseFloat(v);
  const pad = { top: px(opts.padding.top), left: px(opts.padding.left), right: px(opts.padding.right), bottom: px(opts.padding.bottom) };
  const b = rf.getNodesBounds(nodes);
  const w = el.clientWidth - pad.left - pad.right;
  const h = el.clientHeight - pad.top - pad.bottom;
  if (Math.min(w / b.width, h / b.height) >= FIT_MIN_ZOOM) {
    void rf.fitView(opts);
    return;
  }
  const zoom = FIT_MIN_ZOOM;
  const y = b.height * zoom <= h ? pad.top + (h - b.height * zoom) / 2 - b.y * zoom : pad.top - b.y * zoom;
  void rf.setViewport({ x: pad.left - b.x * zoom, y, zoom }, { duration });
}

const nodeTypes = { caudal: NodeCard };
export const PALETTE_MIME = 'application/x-caudal-node-type';

let dragGesture = 0;

const CATEGORY_COLORS: Record<string, string> = { source: '#2f8f5b', transform: '#2f6fdf', quality: '#8e44ad', sink: '#c0641a' };
const minimapColor = (n: Node) => CATEGORY_COLORS[(n.data as CanvasNodeData).category] ?? '#8a94a3';
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
  const fresh = useUi((s) => s.fresh);
  const panels = useUi((s) => s.panels);
  const setPanels = useUi((s) => s.setPanels);
  // The minimap helps on graphs larger than the screen; on a handful of nodes it only covers them.
  const showMinimap = panels.minimap && doc.nodes.length >= 8;
  const rf = useReactFlow();
  const { screenToFlowPosition } = rf;
  const fitRequest = useUi((s) => s.fitRequest);
  useEffect(() => {
    // Runs after React Flow took the new positions (its store updates in a child effect).
    if (fitRequest > 0) fitGraph(rf);
  }, [fitRequest]);
  const loads = useDocument((s) => s.loads);
  useEffect(() => {
    // A freshly opened document: show all of it (after React Flow measured the nodes).
    if (useDocument.getState().doc.nodes.length > 0) setTimeout(() => fitGraph(rf, 0), 60);
  }, [loads]);
  // Zoomed far out, cards switch to a compact form; the zoom itself goes to CSS without re-rendering.
  const wrapper = useRef<HTMLDivElement>(null);
  const [far, setFar] = useState(false);
  const flowStore = useStoreApi();
  useEffect(() => {
    const apply = (zoom: number) => {
      wrapper.current?.style.setProperty('--zoom', String(zoom));
      setFar(zoom < FAR_ZOOM);
    };
    apply(flowStore.getState().transform[2]);
    return flowStore.subscribe((st, prev) => {
      if (st.transform[2] !== prev.transform[2]) apply(st.transform[2]);
    });
  }, [flowStore]);
  useEffect(() => {
    setViewCenter(() => {
      const r = wrapper.current?.getBoundingClientRect();
      return r ? screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 2 }) : null;
    });
  }, [screenToFlowPosition]);
  const cache = useRef(new Map<string, { key: string; value: CanvasNodeData }>());
  const gesture = useRef<string | null>(null);
  const [hoverEdge, setHoverEdge] = useState<{ id: string; x: number; y: number } | null>(null);
  const [menu, setMenu] = useState<NodeMenuState | null>(null);
  // The minimap redraws every node on every move: on large graphs it sits out the drag.
  const [draggingLarge, setDraggingLarge] = useState(false);
  // React Flow measures nodes and reports sizes as changes; controlled nodes must carry them back.
  const measured = useRef(new Map<string, { width: number; height: number }>());
  const [measureTick, setMeasureTick] = useState(0);
  const nodeCache = useRef(new Map<string, Node<CanvasNodeData>>());

  const waiting = useMemo(() => waitingNodes(doc, new Set(Object.keys(problemsByNode))), [doc, problemsByNode]);
  const nodes: Node<CanvasNodeData>[] = useMemo(() => {
    const sel = new Set(selectedNodes);
    const next = new Map<string, Node<CanvasNodeData>>();
    // Every entry gets a card: one repeating an earlier id (a file edited by hand) under a key of its own.
    const keys = entryKeys(doc);
    const places: XY[] = Object.values(doc.layout?.nodes ?? {});
    // A card without a place of its own (an entry repeating an id, whose place is the first's; a node
    // the layout misses) is drawn clear of the cards placed so far. Nothing is written until it moves.
    const spareSpot = (i: number): XY => {
      const at = unplacedSpot(doc, i, places);
      places.push(at);
      return at;
    };
    const list = doc.nodes.map((n, i) => {
      const key = keys[i]!;
      const repeat = key !== n.id;
      const info = typeMap.get(n.type);
      const port = info?.outputs[0]?.name;
      const entry = port && !repeat ? previews[previewKey(n.id, port)] : undefined;
      // A preview of an older upstream (a source changed or broke since) says nothing about now.
      const preview = entry && entry.signature === upstreamSignature(doc, n.id) && !problemsByNode[n.id] && !waiting.has(n.id) ? entry : undefined;
      const waitingFor = repeat ? undefined : waiting.get(n.id);
      // A node still being filled in shows what is wrong with what was entered, and "needs setup" for the rest.
      const all = problemsByNode[key];
      const visible = all && key in fresh ? revealedProblems(all, fresh[key], n.params) : all;
      const data = stabilize(
        cache.current,
        key,
        nodeData(n, info, {
          problems: visible,
          run: repeat ? undefined : run?.nodes[n.id],
          preview,
          fresh: (problemsByNode[key]?.length ?? 0) > (visible?.length ?? 0),
          waitingFor: waitingFor ? (doc.nodes.find((x) => x.id === waitingFor)?.name ?? waitingFor) : null,
        }),
      );
      const stored = repeat ? undefined : doc.layout?.nodes[n.id];
      const position = stored ?? spareSpot(i);
      const size = measured.current.get(key);
      const prev = nodeCache.current.get(key);
      // Unchanged nodes keep their object so React Flow skips them (matters while dragging many nodes).
      const samePlace = prev && (prev.position === position || (!stored && prev.position.x === position.x && prev.position.y === position.y));
      const node =
        prev && prev.data === data && samePlace && prev.selected === sel.has(key) && prev.measured?.width === size?.width && prev.measured?.height === size?.height
          ? prev
          : {
              id: key,
              type: 'caudal',
              position,
              data,
              selected: sel.has(key),
              measured: size,
              // A repeat has no place or edges of its own to change until it has an id of its own (inspector).
              ...(repeat ? { draggable: false, connectable: false } : {}),
            };
      next.set(key, node);
      return node;
    });
    nodeCache.current = next;
    return list;
    // measureTick: recompute when React Flow reported new sizes.
  }, [doc, selectedNodes, typeMap, problemsByNode, run, previews, measureTick, fresh, waiting]);

  const edges: Edge[] = useMemo(() => {
    const sel = new Set(selectedEdges);
    return doc.edges.map((e) => {
      const key = edgeKey(e);
      const [fromNode, fromPort] = e.from.split(':') as [string, string];
      const [toNode, toPort] = e.to.split(':') as [string, string];
      const status = run?.nodes[toNode]?.status;
      return {
        id: key,
        source: fromNode,
        sourceHandle: fromPort,
        target: toNode,
        targetHandle: toPort,
        selected: sel.has(key),
        animated: status === 'running',
        className: [fromPort !== 'out' && `port-${fromPort}`, hoverEdge?.id === key && 'hovered'].filter(Boolean).join(' ') || undefined,
        interactionWidth: 16,
      };
    });
  }, [doc.edges, selectedEdges, hoverEdge?.id, run]);
  const edgeColumns = useMemo(() => {
    if (!hoverEdge) return null;
    const e = doc.edges.find((x) => edgeKey(x) === hoverEdge.id);
    if (!e) return null;
    const [fromNode, fromPort] = e.from.split(':') as [string, string];
    return schemas[fromNode]?.outputs.find((o) => o.port === fromPort)?.columns ?? null;
  }, [hoverEdge, doc.edges, schemas]);

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
        const order = entryKeys(useDocument.getState().doc).filter((key) => selection!.has(key));
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
      const id = addNodeOfType(type, { x: p.x - 95, y: p.y - 30 });
      if (id) useUi.getState().markFresh(id);
    },
    [screenToFlowPosition],
  );

  return (
    <div
      className={`canvas${far ? ' zoom-far' : ''}`}
      ref={wrapper}
      onDragOver={onDragOver}
      onDrop={onDrop}
      data-testid="canvas"
      onPointerMove={(e) => setPointer(screenToFlowPosition({ x: e.clientX, y: e.clientY }))}
      onPointerLeave={() => setPointer(null)}
    >
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
        onEdgeMouseEnter={(ev, e) => setHoverEdge({ id: e.id, x: ev.clientX, y: ev.clientY })}
        onEdgeMouseMove={(ev, e) => setHoverEdge({ id: e.id, x: ev.clientX, y: ev.clientY })}
        onEdgeMouseLeave={() => setHoverEdge(null)}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Meta', 'Control']}
        defaultViewport={{ x: 40, y: 40, zoom: 1 }}
        minZoom={0.15}
        proOptions={{ hideAttribution: true }}
        onlyRenderVisibleElements={doc.nodes.length > 150}
      >
        <Background gap={16} />
        {showMinimap && !draggingLarge && <MiniMap pannable zoomable ariaLabel="Mini map" style={{ width: 160, height: 100 }} nodeColor={minimapColor} />}
        <Controls showInteractive={false} onFitView={() => fitGraph(rf)} aria-label="Zoom controls">
          {doc.nodes.length >= 8 && (
            <ControlButton onClick={() => setPanels({ minimap: !panels.minimap })} title={panels.minimap ? 'Hide the mini map' : 'Show the mini map'} aria-label={panels.minimap ? 'Hide the mini map' : 'Show the mini map'}>
              <svg viewBox="0 0 24 24" width="14" height="14" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
                <path d="M3 6l6-2 6 2 6-2v14l-6 2-6-2-6 2z M9 4v14 M15 6v14" />
              </svg>
            </ControlButton>
          )}
        </Controls>
      </ReactFlow>
      <CanvasOverlays />
      {hoverEdge && (
        <div className="edge-schema" role="tooltip" data-testid="edge-schema" style={{ left: hoverEdge.x + 14, top: hoverEdge.y + 14 }}>
          {edgeColumns === null ? (
            <span className="muted">Columns not known yet</span>
          ) : edgeColumns.length === 0 ? (
            <span className="muted">No columns</span>
          ) : (
            <>
              <div className="edge-schema-title">{edgeColumns.length} column{edgeColumns.length === 1 ? '' : 's'}</div>
              {edgeColumns.slice(0, 12).map((c) => (
                <div key={c.name}>
                  {c.name} <span className="muted">{c.type}</span>
                </div>
              ))}
              {edgeColumns.length > 12 && <div className="muted">… and {edgeColumns.length - 12} more</div>}
            </>
          )}
        </div>
      )}
      {menu && <NodeMenu menu={menu} onClose={() => setMenu(null)} />}
    </div>
  );
}
