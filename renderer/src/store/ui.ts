/** View state: selection, panels, dialogs, notices. Never part of undo history or the saved file. */
import { create } from 'zustand';

export type BottomTab = 'preview' | 'sql' | 'profile' | 'logs' | 'runs';
export type Dialog = null | 'open' | 'saveAs' | 'export' | 'help' | 'connections' | 'schedules' | 'runParams' | 'confirmDiscard' | 'examples' | 'runReady' | 'browse' | 'unsaved';

/** A file to pick for a path field (browser mode: the host's file browser). */
export interface BrowseRequest {
  title: string;
  mode: 'open' | 'save';
  extensions?: string[];
  /** The field's current value (relative to `baseDir`) or empty. */
  initial: string;
  /** The pipeline's folder: picked files inside it are written relative to it. */
  baseDir: string;
  onPick(path: string): void;
}

/** Sizes (px) and open state of the panels around the canvas; kept in local storage. */
export interface PanelLayout {
  palette: number;
  inspector: number;
  bottom: number;
  paletteOpen: boolean;
  inspectorOpen: boolean;
  bottomOpen: boolean;
  minimap: boolean;
}

const PANELS_KEY = 'caudal.panels';
/** Defaults that leave the canvas room on a 1280×720 screen as well as on a large one. */
function defaultPanels(): PanelLayout {
  const w = typeof window === 'undefined' ? 1440 : window.innerWidth;
  const h = typeof window === 'undefined' ? 900 : window.innerHeight;
  return { palette: w < 1400 ? 200 : 220, inspector: w < 1400 ? 310 : 340, bottom: Math.round(Math.min(300, Math.max(170, h * 0.3))), paletteOpen: true, inspectorOpen: true, bottomOpen: true, minimap: true };
}
export const DEFAULT_PANELS: PanelLayout = defaultPanels();

function loadPanels(): PanelLayout {
  try {
    return { ...DEFAULT_PANELS, ...(JSON.parse(localStorage.getItem(PANELS_KEY) ?? '{}') as Partial<PanelLayout>) };
  } catch {
    return DEFAULT_PANELS;
  }
}

export interface Toast {
  id: number;
  kind: 'info' | 'error' | 'success';
  text: string;
}

export interface UiState {
  selectedNodes: string[];
  /** Edge keys `from->to`. */
  selectedEdges: string[];
  bottomTab: BottomTab;
  /** Output port shown in the preview (e.g. `rejects`); null = the node's first output. */
  previewPort: string | null;
  dialog: Dialog;
  /** What to do after the discard prompt is confirmed. */
  pendingAction: null | (() => void);
  toasts: Toast[];
  paletteQuery: string;
  /** Rows each preview asks for (the host allows up to 10,000). */
  previewLimit: number;
  setPreviewLimit(n: number): void;
  /** Bumped to ask the canvas to fit everything into view once it has rendered the current document. */
  fitRequest: number;
  requestFit(): void;
  select(nodes: string[], edges?: string[]): void;
  setBottomTab(tab: BottomTab): void;
  setPreviewPort(port: string | null): void;
  openDialog(d: Dialog, pendingAction?: () => void): void;
  closeDialog(): void;
  /** Shows a notice; returns its id (to dismiss it early). */
  toast(kind: Toast['kind'], text: string): number;
  dismissToast(id: number): void;
  setPaletteQuery(q: string): void;
  /**
   * Nodes just added that the user is still filling in, with the fields already finished (left or
   * changed): their other problems wait until the user moves on, so a fresh node does not greet
   * anyone with "Invalid input". Leaving the node (selecting another) shows everything.
   */
  fresh: Record<string, string[]>;
  markFresh(nodeId: string): void;
  reveal(nodeId: string, fieldKey: string): void;
  settle(nodeIds?: string[]): void;
  panels: PanelLayout;
  setPanels(p: Partial<PanelLayout>): void;
  /** The user closed the pipeline's description banner (until the next document opens). */
  aboutHidden: boolean;
  setAboutHidden(v: boolean): void;
  browse: BrowseRequest | null;
  openBrowse(req: BrowseRequest): void;
  /** "Run the ready part": the nodes a run can include, and the ones left out with why. */
  readyRun: { targets: string[]; leftOut: Array<{ nodeId: string; reason: string }> } | null;
  offerReadyRun(r: UiState['readyRun']): void;
}

let toastId = 0;

export const useUi = create<UiState>()((set, get) => ({
  selectedNodes: [],
  selectedEdges: [],
  bottomTab: 'preview',
  previewPort: null,
  dialog: null,
  pendingAction: null,
  toasts: [],
  paletteQuery: '',
  fitRequest: 0,
  previewLimit: 1000,
  setPreviewLimit: (previewLimit) => set({ previewLimit }),
  requestFit: () => set({ fitRequest: get().fitRequest + 1 }),
  select(nodes, edges = []) {
    const s = get();
    const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    if (same(s.selectedNodes, nodes) && same(s.selectedEdges, edges)) return;
    const left = s.selectedNodes.filter((id) => !nodes.includes(id) && id in s.fresh);
    const fresh = left.length ? Object.fromEntries(Object.entries(s.fresh).filter(([id]) => !left.includes(id))) : s.fresh;
    set({ selectedNodes: nodes, selectedEdges: edges, previewPort: same(s.selectedNodes, nodes) ? s.previewPort : null, fresh });
  },
  fresh: {},
  markFresh: (nodeId) => set({ fresh: { ...get().fresh, [nodeId]: [] } }),
  reveal(nodeId, fieldKey) {
    const cur = get().fresh[nodeId];
    if (!cur || cur.includes(fieldKey)) return;
    set({ fresh: { ...get().fresh, [nodeId]: [...cur, fieldKey] } });
  },
  settle(nodeIds) {
    if (!nodeIds) return set({ fresh: {} });
    set({ fresh: Object.fromEntries(Object.entries(get().fresh).filter(([id]) => !nodeIds.includes(id))) });
  },
  panels: loadPanels(),
  setPanels(p) {
    const panels = { ...get().panels, ...p };
    set({ panels });
    try {
      localStorage.setItem(PANELS_KEY, JSON.stringify(panels));
    } catch {
      // a preference only
    }
  },
  aboutHidden: false,
  setAboutHidden: (aboutHidden) => set({ aboutHidden }),
  browse: null,
  openBrowse: (browse) => set({ browse, dialog: 'browse' }),
  readyRun: null,
  offerReadyRun: (readyRun) => set({ readyRun, dialog: readyRun ? 'runReady' : null }),
  setBottomTab: (bottomTab) => set({ bottomTab }),
  setPreviewPort: (previewPort) => set({ previewPort }),
  openDialog: (dialog, pendingAction) => set({ dialog, pendingAction: pendingAction ?? null }),
  closeDialog: () => set({ dialog: null, pendingAction: null }),
  toast(kind, text) {
    const id = ++toastId;
    set({ toasts: [...get().toasts.slice(-3), { id, kind, text }] });
    setTimeout(() => get().dismissToast(id), kind === 'error' ? 8000 : 4000);
    return id;
  },
  dismissToast: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
  setPaletteQuery: (paletteQuery) => set({ paletteQuery }),
}));
