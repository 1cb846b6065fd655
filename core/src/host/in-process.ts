import { makeHostClient, type HostClient } from '../host-api/contract.js';
import type { HostService } from './host-service.js';

/** The contract called directly (CLI, tests): the same client the renderer gets, minus the wire. */
export function inProcessClient(service: HostService): HostClient {
  return makeHostClient(service);
}
