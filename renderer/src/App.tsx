/** The studio window: toolbar, palette, canvas, inspector, data panel. */
import { useEffect } from 'react';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { Toolbar } from './features/Toolbar.js';
import { Palette } from './canvas/Palette.js';
import { Canvas } from './canvas/Canvas.js';
import { Inspector } from './inspector/Inspector.js';
import { BottomPanel } from './features/BottomPanel.js';
import { Dialogs } from './features/Dialogs.js';
import { Toasts } from './features/Toasts.js';
import { installKeyboard } from './features/keyboard.js';
import { isDirty, useDocument } from './store/document.js';

function Shell() {
  const { fitView } = useReactFlow();
  useEffect(() => installKeyboard(() => void fitView({ duration: 200 })), [fitView]);
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
        <Palette />
        <div className="center">
          <Canvas />
          <BottomPanel />
        </div>
        <Inspector />
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
