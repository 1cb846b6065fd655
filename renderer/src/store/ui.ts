/** View state: selection, panels, dialogs, notices. Never part of undo history or the saved file. */
import { create } from 'zustand';

export type BottomTab = 'preview' | 'sql' | 'profile' | 'logs' | 'runs';
export type Dialog = null | 'open' | 'saveAs' | 'export' | 'help' | 'connections' | 'schedules' | 'runParams' | 'confirmDiscard';

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
  toast(kind: Toast['kind'], text: string): void;
  dismissToast(id: number): void;
  setPaletteQuery(q: string): void;
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
    set({ selectedNodes: nodes, selectedEdges: edges, previewPort: same(s.selectedNodes, nodes) ? s.previewPort : null });
  },
  setBottomTab: (bottomTab) => set({ bottomTab }),
  setPreviewPort: (previewPort) => set({ previewPort }),
  openDialog: (dialog, pendingAction) => set({ dialog, pendingAction: pendingAction ?? null }),
  closeDialog: () => set({ dialog: null, pendingAction: null }),
  toast(kind, text) {
    const id = ++toastId;
    set({ toasts: [...get().toasts.slice(-3), { id, kind, text }] });
    setTimeout(() => get().dismissToast(id), kind === 'error' ? 8000 : 4000);
  },
  dismissToast: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
  setPaletteQuery: (paletteQuery) => set({ paletteQuery }),
}));
