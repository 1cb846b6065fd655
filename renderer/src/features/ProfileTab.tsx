/** The full column profile of the selected node's output, from the host's profiling API. */
import { useState } from 'react';
import { host, errorText } from '../host-access.js';
import { useDocument } from '../store/document.js';
import { previewPortFor } from './preview.js';

type Profile = { columns: Array<Record<string, unknown> & { name: string; type: string }> };

export function ProfileTab({ nodeId }: { nodeId: string }) {
  const [state, setState] = useState<{ nodeId: string; loading: boolean; profile?: Profile; error?: string } | null>(null);
  const run = async () => {
    const { doc, path } = useDocument.getState();
    setState({ nodeId, loading: true });
    try {
      const profile = (await host()['profile.node']({ document: doc, path, nodeId, port: previewPortFor(nodeId) ?? undefined })) as Profile;
      setState({ nodeId, loading: false, profile });
    } catch (e) {
      setState({ nodeId, loading: false, error: errorText(e) });
    }
  };
  const current = state?.nodeId === nodeId ? state : null;
  const keys = [...new Set((current?.profile?.columns ?? []).flatMap((c) => Object.keys(c)))].filter((k) => k !== 'name' && k !== 'type');
  return (
    <div className="profile-tab">
      <div className="preview-bar">
        <button onClick={() => void run()} disabled={current?.loading}>
          {current?.loading ? 'Profiling…' : 'Profile all rows'}
        </button>
        <span className="muted">Reads the node's whole output: nulls, distinct values, ranges and top values per column.</span>
      </div>
      {current?.error && <div className="field-error pad">{current.error}</div>}
      {current?.profile && (
        <div className="profile-table-wrap">
          <table className="profile-table">
            <thead>
              <tr>
                <th>column</th>
                <th>type</th>
                {keys.map((k) => (
                  <th key={k}>{k.replace(/_/g, ' ')}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {current.profile.columns.map((c) => (
                <tr key={c.name}>
                  <td>{c.name}</td>
                  <td>{c.type}</td>
                  {keys.map((k) => (
                    <td key={k}>{typeof c[k] === 'object' ? JSON.stringify(c[k]) : String(c[k] ?? '')}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
