import type { ChatMetrics } from '../../../lambdas/domain/ports.js';
import type { ChatMetricName } from '../../../lambdas/shared/metric-names.js';

/** Adds up every count so tests can assert what the operators would see. */
export class RecordingMetrics implements ChatMetrics {
  readonly counts: Partial<Record<ChatMetricName, number>> = {};

  count(metric: ChatMetricName, times = 1): void {
    if (times > 0) this.counts[metric] = (this.counts[metric] ?? 0) + times;
  }
}
