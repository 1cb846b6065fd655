/** Right-click menu of a node: the commands that act on it. */
import { useRef } from 'react';
import { useUi } from '../store/ui.js';
import { copySelection, deleteSelection, duplicateSelection } from './actions.js';
import { requestRun } from '../features/runs.js';
import { useClickOutside } from '../features/ProblemsButton.js';

export interface NodeMenuState {
  nodeId: string;
  x: number;
  y: number;
}

export function NodeMenu({ menu, onClose }: { menu: NodeMenuState; onClose(): void }) {
  const box = useRef<HTMLDivElement>(null);
  useClickOutside(box, true, onClose);
  const item = (label: string, action: () => void, shortcut?: string) => (
    <button
      role="menuitem"
      onClick={() => {
        onClose();
        action();
      }}
    >
      {label}
      {shortcut && <kbd>{shortcut}</kbd>}
    </button>
  );
  return (
    <div className="menu-items node-menu" role="menu" aria-label="Node menu" ref={box} style={{ position: 'fixed', left: menu.x, top: menu.y }}>
      {item('Preview', () => useUi.getState().setBottomTab('preview'))}
      {item('Show SQL', () => useUi.getState().setBottomTab('sql'))}
      {item('Run up to here', () => requestRun([menu.nodeId]))}
      {item('Copy', () => copySelection(), 'Ctrl+C')}
      {item('Duplicate', () => duplicateSelection(), 'Ctrl+D')}
      {item('Delete', () => deleteSelection(), 'Del')}
    </div>
  );
}
