/** The studio window: toolbar, palette, canvas, inspector, data panel; the side and bottom panels resize and collapse. */
import { useEffect, useLayoutEffect } from 'react';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { Toolbar } from './features/Toolbar.js';
import { Palette } from './canvas/Palette.js';
import { Canvas, fitGraph } from './canvas/Canvas.js';
import { Inspector } from './inspector/Inspector.js';
import { BottomPanel } from './features/BottomPanel.js';
import { Dialogs } from './features/Dialogs.js';
import { Toasts } from './features/Toasts.js';
import { Splitter } from './features/Splitter.js';
import { installKeyboard } from './features/keyboard.js';
import { isDirty, useDocument } from './store/document.js';
import { useUi } from './store/ui.js';

function Rail({ side, label, onOpen }: { side: 'left' | 'right' | 'bottom'; label: string; onOpen(): void }) {
  return (
    <button type="button" className={`rail rail-${side}`} onClick={onOpen} aria-label={`Show the ${label}`} title={`Show the ${label}`}>
      <span>{label}</span>
    </button>
  );
}

function Shell() {
  const rf = useReactFlow();
  const panels = useUi((s) => s.panels);
  const setPanels = useUi((s) => s.setPanels);
  // Installed before the first paint: a shortcut pressed the moment the window shows must not be lost.
  useLayoutEffect(() => installKeyboard(() => fitGraph(rf)), [rf]);
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (isDirty(useDocument.getState())) e.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);
  return (
    <div className="app">
      <Toolbar />
      <div className="main">
        {panels.paletteOpen ? (
          <>
            <div className="side side-left" style={{ width: panels.palette }}>
              <Palette onCollapse={() => setPanels({ paletteOpen: false })} />
            </div>
            <Splitter axis="x" label="Resize the palette" value={panels.palette} min={160} max={420} direction={1} onChange={(palette) => setPanels({ palette })} />
          </>
        ) : (
          <Rail side="left" label="palette" onOpen={() => setPanels({ paletteOpen: true })} />
        )}
        <div className="center">
          <Canvas />
          {panels.bottomOpen ? (
            <>
              <Splitter axis="y" label="Resize the data panel" value={panels.bottom} min={120} max={Math.max(200, window.innerHeight - 220)} direction={-1} onChange={(bottom) => setPanels({ bottom })} />
              <div className="bottom-wrap" style={{ height: panels.bottom }}>
                <BottomPanel onCollapse={() => setPanels({ bottomOpen: false })} />
              </div>
            </>
          ) : (
            <Rail side="bottom" label="data panel" onOpen={() => setPanels({ bottomOpen: true })} />
          )}
        </div>
        {panels.inspectorOpen ? (
          <>
            <Splitter axis="x" label="Resize the inspector" value={panels.inspector} min={260} max={640} direction={-1} onChange={(inspector) => setPanels({ inspector })} />
            <div className="side side-right" style={{ width: panels.inspector }}>
              <button type="button" className="icon collapse collapse-right" aria-label="Hide the inspector" title="Hide the inspector" onClick={() => setPanels({ inspectorOpen: false })}>
                ⟩
              </button>
              <Inspector />
            </div>
          </>
        ) : (
          <Rail side="right" label="inspector" onOpen={() => setPanels({ inspectorOpen: true })} />
        )}
      </div>
      <Dialogs />
      <Toasts />
    </div>
  );
}

export function App() {
  return (
    <ReactFlowProvider>
      <Shell />
    </ReactFlowProvider>
  );
}
