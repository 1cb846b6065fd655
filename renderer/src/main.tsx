/** Entry: connect to the host, load the node catalogue and a document, then render. */
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { App } from './App.js';
import { hostClient } from './host/client.js';
import { setHost, host, errorText } from './host-access.js';
import { useResults } from './store/results.js';
import { useDocument } from './store/document.js';
import { watchDocument, checkNow } from './features/check.js';
import { watchPreview } from './features/preview.js';
import { watchRuns } from './features/runs.js';
import { setAppInfo } from './features/app-info.js';
import { openPipeline, watchFileOnDisk } from './features/file.js';
import { offerUnsaved, watchUnsaved } from './features/unsaved.js';

async function start(): Promise<void> {
  const root = createRoot(document.getElementById('root')!);
  try {
    setHost(await hostClient());
    const [info, { nodes }] = await Promise.all([host()['app.info']({}), host()['nodes.list']({})]);
    setAppInfo(info);
    useResults.getState().setNodeTypes(nodes);
    // Offered by connection pickers; a host without a connections file answers with an empty list.
    void host()['connections.list']({}).then((r) => useResults.getState().setConnections(r.connections)).catch(() => undefined);
    // `?open=<path>` opens a pipeline file at start (used by `caudal serve <file>` and tests).
    const toOpen = new URL(window.location.href).searchParams.get('open');
    if (!toOpen || !(await openPipeline(toOpen))) {
      const { document } = await host()['pipeline.new']({});
      useDocument.getState().load(document, null);
    }
    watchDocument();
    watchPreview();
    watchRuns();
    watchFileOnDisk();
    watchUnsaved();
    void checkNow();
    root.render(<App />);
    void offerUnsaved();
  } catch (e) {
    root.render(
      <div className="fatal" role="alert">
        <h1>Caudal could not start</h1>
        <p>{errorText(e)}</p>
      </div>,
    );
  }
}

void start();
