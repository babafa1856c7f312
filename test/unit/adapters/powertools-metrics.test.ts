import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { invocationMetrics } from '../../../lambdas/adapters/powertools-metrics.js';
import { CHAT_METRICS, METRICS_NAMESPACE, SERVICE_NAME } from '../../../lambdas/shared/metric-names.js';

/** What the adapter writes to stdout, line by line, parsed. */
let written: Record<string, any>[];
/** What it writes to stderr (Powertools' warnings). */
let warnings: string[];

beforeEach(() => {
  // As deployed: the unit project turns metrics off everywhere else.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  written = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) written.push(JSON.parse(line));
    return true;
  });
  warnings = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    warnings.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('invocation metrics (Powertools, embedded metric format)', () => {
  it('writes one EMF line per flush, in the namespace the alarms read, with the service as the only dimension', () => {
    const metrics = invocationMetrics();
    metrics.count(CHAT_METRICS.MessagesStored);
    metrics.count(CHAT_METRICS.PostsSent, 3);
    metrics.count(CHAT_METRICS.PostsSent, 2);

    metrics.flush();

    expect(written).toHaveLength(1);
    const [line] = written;
    expect(line!._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['service']],
        Metrics: expect.arrayContaining([
          { Name: 'MessagesStored', Unit: 'Count' },
          { Name: 'PostsSent', Unit: 'Count' },
        ]),
      },
    ]);
    expect(line).toMatchObject({ service: SERVICE_NAME, MessagesStored: 1, PostsSent: [3, 2] });
  });

  it('writes nothing, and warns of nothing, when the invocation counted nothing', () => {
    const metrics = invocationMetrics();
    metrics.count(CHAT_METRICS.PostsGone, 0);

    metrics.flush();

    expect(written).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('starts over after a flush, and keeps invocations apart', () => {
    const first = invocationMetrics();
    const second = invocationMetrics();
    first.count(CHAT_METRICS.FramesRateLimited);
    first.flush();
    first.flush();
    second.flush();

    expect(written).toHaveLength(1);
  });
});
