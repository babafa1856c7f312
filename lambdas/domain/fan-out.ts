import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { CHAT_METRICS } from '../shared/metric-names.js';
import type { Connection } from './model.js';
import type { ChatMetrics, ChatStore, ConnectionGateway } from './ports.js';

export interface FanOutResult {
  sent: number;
  gone: number;
  failed: number;
  /** The targets whose post succeeded ('sent'): who actually got the frame. */
  delivered: Connection[];
}

/**
 * Posts one frame to many connections concurrently. A connection the gateway reports gone
 * is deleted (that one, never the sender's); any other failure is logged and counted, and
 * never undoes what was already stored. Each outcome is counted (PostsSent, PostsGone, PostsFailed).
 */
export async function fanOut(
  deps: { store: ChatStore; gateway: ConnectionGateway; logger: Logger; metrics: ChatMetrics },
  targets: readonly Connection[],
  payload: unknown,
): Promise<FanOutResult> {
  const outcomes = await Promise.allSettled(
    targets.map(async (target) => {
      const outcome = await deps.gateway.send(target.connectionId, payload);
      if (outcome === 'gone') await deps.store.removeKnownConnection(target);
      return outcome;
    }),
  );
  const result: FanOutResult = { sent: 0, gone: 0, failed: 0, delivered: [] };
  outcomes.forEach((outcome, index) => {
    if (outcome.status === 'fulfilled') {
      result[outcome.value] += 1;
      if (outcome.value === 'sent') result.delivered.push(targets[index]!);
    } else {
      result.failed += 1;
      deps.logger.error('broadcast_failed', {
        connectionId: targets[index]?.connectionId,
        error: describeError(outcome.reason),
      });
    }
  });
  deps.metrics.count(CHAT_METRICS.PostsSent, result.sent);
  deps.metrics.count(CHAT_METRICS.PostsGone, result.gone);
  deps.metrics.count(CHAT_METRICS.PostsFailed, result.failed);
  return result;
}
