import type { SecretStore } from '../../core/src/secrets/secret-store.js';

/** A secret store in memory, standing in for the OS keychain in host tests; `values` is keyed `<connection>/<field>`. */
export class MemoryStore implements SecretStore {
  readonly label = 'test store';
  readonly values = new Map<string, string>();
  async get(c: string, f: string) {
    return this.values.get(`${c}/${f}`);
  }
  async set(c: string, f: string, v: string) {
    this.values.set(`${c}/${f}`, v);
  }
  async delete(c: string, f: string) {
    return this.values.delete(`${c}/${f}`);
  }
}
