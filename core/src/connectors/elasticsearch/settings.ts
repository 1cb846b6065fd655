/** What the sink sets while it loads an index: no replicas to copy to, no refresh until it is done. */
const LOADING = { number_of_replicas: 0, refresh_interval: '-1' } as const;
type LoadingKey = keyof typeof LOADING;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The node's index settings split for a load: the settings to create the index with (the loading
 * values in place of the node's own, whichever way they are spelled: `refresh_interval`,
 * `index.refresh_interval` or `{"index": {"refresh_interval": …}}`, since Elasticsearch refuses one
 * setting given twice), and the values to put back once the documents are in (the node's, or
 * Elasticsearch's defaults: one replica, refresh every second).
 */
export function loadingSettings(settings: Record<string, unknown>): { create: Record<string, unknown>; after: Record<LoadingKey, unknown> } {
  const create = { ...settings };
  const nested = isObject(create.index) ? { ...create.index } : undefined;
  const take = (key: LoadingKey) => {
    let value: unknown;
    for (const [holder, name] of [[create, key], [create, `index.${key}`], [nested, key]] as const) {
      if (holder && name in holder) {
        value = holder[name];
        delete holder[name];
      }
    }
    return value;
  };
  const replicas = take('number_of_replicas');
  const refresh = take('refresh_interval');
  if (nested) {
    if (Object.keys(nested).length > 0) create.index = nested;
    else delete create.index;
  }
  return { create: { ...create, ...LOADING }, after: { number_of_replicas: replicas ?? 1, refresh_interval: refresh ?? null } };
}
