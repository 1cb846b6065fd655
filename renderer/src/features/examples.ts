/** "Open an example": the shipped sample pipelines, copied into the workspace by the host and opened. */
import { host, errorText } from '../host-access.js';
import { useUi } from '../store/ui.js';
import { guardDirty, openPipeline } from './file.js';

export type ExampleInfo = { id: string; folder: string; name: string; description: string };

let cache: Promise<ExampleInfo[]> | null = null;

export function listExamples(): Promise<ExampleInfo[]> {
  cache ??= host()['examples.list']({}).then((r) => r.examples).catch(() => []);
  return cache;
}

export function openExample(id: string): void {
  guardDirty(() => {
    void (async () => {
      try {
        const busy = useUi.getState().toast('info', 'Preparing the example…');
        const r = await host()['examples.open']({ id }).finally(() => useUi.getState().dismissToast(busy));
        if (await openPipeline(r.path)) useUi.getState().toast('success', `Opened a copy of the example in ${r.path}${r.generated ? ' (its sample data was generated)' : ''}`);
      } catch (e) {
        useUi.getState().toast('error', `Could not open the example: ${errorText(e)}`);
      }
    })();
  });
}
