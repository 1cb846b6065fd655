import { describe, expect, it } from 'vitest';
import { hasStreamingSource, runErrorText } from './continuous.js';
import type { NodeTypeInfo } from '../model/types.js';

describe('continuous runs', () => {
  it('are offered for pipelines with a streaming source only', () => {
    const types = new Map([
      ['source.rabbitmq', { type: 'source.rabbitmq', streaming: true } as NodeTypeInfo],
      ['source.csv', { type: 'source.csv' } as NodeTypeInfo],
    ]);
    expect(hasStreamingSource([{ id: 'a', type: 'source.csv', params: {} }], types)).toBe(false);
    expect(hasStreamingSource([{ id: 'a', type: 'source.csv', params: {} }, { id: 'mq', type: 'source.rabbitmq', params: {} }], types)).toBe(true);
    expect(hasStreamingSource([{ id: 'x', type: 'source.unknown', params: {} }], types)).toBe(false);
  });

  it('say why they failed in the form language: no node prefix, network failures explained, hints kept', () => {
    expect(runErrorText({ message: "node 'mq' (source.rabbitmq) failed: connect ECONNREFUSED 127.0.0.1:1" })).toBe(
      "Nothing answers at 127.0.0.1:1 (connection refused): check that the server is running and the connection's host and port.",
    );
    expect(runErrorText({ message: "node 'k' (source.kafka): getaddrinfo ENOTFOUND broker.invalid" })).toMatch(/^The host 'broker.invalid' was not found/);
    expect(runErrorText({ message: 'Handshake terminated by server: 403 (ACCESS-REFUSED) Login was refused' })).toMatch(/refused the user name or password/);
    expect(runErrorText({ message: "node 'f' (transform.filter): unknown column 'x'", hint: 'did you mean y?' })).toBe("unknown column 'x' (did you mean y?)");
  });
});
