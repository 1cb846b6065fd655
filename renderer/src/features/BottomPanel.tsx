/** Preview, SQL, profile, log and run history of the selected node / pipeline. */
import { useUi, type BottomTab } from '../store/ui.js';
import { PreviewTab } from './PreviewTab.js';
import { SqlTab } from './SqlTab.js';
import { ProfileTab } from './ProfileTab.js';
import { LogsTab } from './LogsTab.js';
import { RunsTab } from './RunsTab.js';
import { LiveStrip } from './LiveStrip.js';

const TABS: Array<[BottomTab, string]> = [
  ['preview', 'Preview'],
  ['sql', 'Show SQL'],
  ['profile', 'Profile'],
  ['logs', 'Log'],
  ['runs', 'Run history'],
];

export function BottomPanel({ onCollapse }: { onCollapse?(): void }) {
  const tab = useUi((s) => s.bottomTab);
  const setTab = useUi((s) => s.setBottomTab);
  const selected = useUi((s) => s.selectedNodes);
  const nodeId = selected.length === 1 ? selected[0]! : null;
  const needsNode = tab === 'preview' || tab === 'sql' || tab === 'profile';
  return (
    <section className="bottom-panel" aria-label="Data panel">
      <div className="tabs">
        <div role="tablist" aria-label="Data panel tabs" className="tablist">
          {TABS.map(([t, label]) => (
            <button key={t} role="tab" aria-selected={t === tab} className={t === tab ? 'active' : ''} onClick={() => setTab(t)}>
              {label}
            </button>
          ))}
        </div>
        <span className="spacer" />
        {onCollapse && (
          <button type="button" className="icon collapse" aria-label="Hide the data panel" title="Hide the data panel" onClick={onCollapse}>
            ⌄
          </button>
        )}
      </div>
      <LiveStrip />
      <div className="tab-body">
        {needsNode && !nodeId && <div className="muted pad">Select one node to see its data.</div>}
        {tab === 'preview' && nodeId && <PreviewTab nodeId={nodeId} />}
        {tab === 'sql' && nodeId && <SqlTab nodeId={nodeId} />}
        {tab === 'profile' && nodeId && <ProfileTab nodeId={nodeId} />}
        {tab === 'logs' && <LogsTab />}
        {tab === 'runs' && <RunsTab />}
      </div>
    </section>
  );
}
