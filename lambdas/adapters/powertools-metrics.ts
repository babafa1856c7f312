import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ChatMetrics } from '../domain/ports.js';
import { METRICS_NAMESPACE, SERVICE_NAME, type ChatMetricName } from '../shared/metric-names.js';

/** The counts of one invocation, written to stdout as one EMF line when flushed. */
export interface InvocationMetrics extends ChatMetrics {
  /** Writes what was counted (nothing when nothing was) and starts over. */
  flush(): void;
}

/**
 * One Powertools Metrics buffer per invocation rather than one per module: the local stack
 * runs invocations of one function side by side in one process, and a shared buffer would
 * mix their counts. The only dimension is `service` (Powertools' default dimension).
 */
export function invocationMetrics(): InvocationMetrics {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  return {
    count: (metric: ChatMetricName, times = 1) => {
      if (times > 0) metrics.addMetric(metric, MetricUnit.Count, times);
    },
    // Skipped when empty: Powertools would warn "No application metrics to publish" on every request.
    flush: () => {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
