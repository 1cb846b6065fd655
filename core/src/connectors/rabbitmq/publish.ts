import type { ConfirmChannel } from 'amqplib';
import { amqpOptions, type RabbitmqConfig } from '../../connections/rabbitmq/rabbitmq.connection.js';
import type { ExternalStage, HookIo } from '../../nodes/define.js';
import { CaudalError, errorMessage } from '../../util/errors.js';

export interface RabbitWriteSpec {
  exchange: string;
  /** SQL returning `rk` (routing key), `v` (body) and `mid` (message id), all VARCHAR. */
  rowsSql: string;
  /** Rows already staged (counted) in the run's DuckDB. */
  rows: number;
  /** Wait for the broker's confirms every this many messages. */
  confirmEvery: number;
}

/**
 * AMQP 0-9-1 has no transaction that amqplib exposes for publishing, so the rows are staged in the
 * run's DuckDB and published only when the run commits, over a confirm channel (persistent messages,
 * each with a message id of the run, so consumers can drop duplicates). A failed or cancelled run
 * publishes nothing; a commit that fails half way leaves the messages confirmed so far published:
 * the window of this sink, documented in the user guide.
 */
export function stageRabbitWrite(config: RabbitmqConfig, spec: RabbitWriteSpec, io: HookIo, ctx: { nodeId: string; connection: string }): ExternalStage {
  const fail = (e: unknown) =>
    new CaudalError('execution', `node '${ctx.nodeId}' (connection '${ctx.connection}'): publishing to exchange '${spec.exchange || '(default)'}' failed: ${errorMessage(e)}`, { nodeId: ctx.nodeId });
  return {
    rows: spec.rows,
    async prepare() {
      // Check now that the broker is reachable and the exchange exists: the likeliest late failures.
      const { default: amqp } = await import('amqplib');
      const conn = await amqp.connect(amqpOptions(config)).catch((e: unknown) => {
        throw fail(e);
      });
      try {
        const ch = await conn.createChannel();
        if (spec.exchange) await ch.checkExchange(spec.exchange);
        await ch.close();
      } catch (e) {
        throw fail(e);
      } finally {
        await conn.close().catch(() => undefined);
      }
      return { twoPhase: false };
    },
    async commit() {
      const { default: amqp } = await import('amqplib');
      const conn = await amqp.connect(amqpOptions(config));
      try {
        const ch: ConfirmChannel = await conn.createConfirmChannel();
        const result = await io.db.conn.stream(spec.rowsSql);
        let sent = 0;
        for await (const chunk of result.yieldRows()) {
          for (const [rk, v, mid] of chunk) {
            const ok = ch.publish(spec.exchange, String(rk ?? ''), Buffer.from(String(v ?? '')), { persistent: true, messageId: String(mid), contentType: 'application/json' });
            if (!ok) await new Promise((r) => ch.once('drain', r));
            if (++sent % spec.confirmEvery === 0) await ch.waitForConfirms();
          }
        }
        await ch.waitForConfirms();
        await ch.close();
      } catch (e) {
        throw fail(e);
      } finally {
        await conn.close().catch(() => undefined);
      }
    },
    // Nothing left the run's DuckDB before the commit.
    async rollback() {},
  };
}
