import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHAT_METRICS } from '../../../lambdas/shared/metric-names.js';

const contextOf = (awsRequestId: string): Context =>
  ({
    awsRequestId,
    functionName: 'CarChat-WsMessage',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:CarChat-WsMessage',
    memoryLimitInMB: '256',
  }) as Context;

const wsEvent = (requestId: string) =>
  ({ requestContext: { connectionId: 'conn-1', requestId, routeKey: '$default' }, body: '{}' }) as never;

/** Every JSON line written to stdout or stderr (log lines, errors on stderr, and EMF lines alike). */
let lines: Record<string, any>[];

beforeEach(() => {
  // As on Lambda: INFO logs, metrics on, an on-demand execution environment (so cold starts exist).
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
  vi.resetModules();
  lines = [];
  const capture = (chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('an invocation through the WebSocket wrapper', () => {
  it('logs the Lambda context on every line: a cold start first, then warm invocations', async () => {
    const { webSocketHandler } = await import('../../../lambdas/shared/websocket.js');
    const handler = webSocketHandler(async (_event, logger) => logger.info('frame_seen'));

    await handler(wsEvent('api-1'), contextOf('lambda-1'));
    await handler(wsEvent('api-2'), contextOf('lambda-2'));

    const logged = lines.filter((line) => line.message === 'frame_seen');
    expect(logged).toEqual([
      expect.objectContaining({
        cold_start: true,
        function_request_id: 'lambda-1',
        function_name: 'CarChat-WsMessage',
        function_arn: 'arn:aws:lambda:eu-central-1:123456789012:function:CarChat-WsMessage',
        function_memory_size: '256',
        requestId: 'api-1',
        connectionId: 'conn-1',
        service: 'carchat',
      }),
      expect.objectContaining({ cold_start: false, function_request_id: 'lambda-2', requestId: 'api-2' }),
    ]);
  });

  it('flushes what the route counted once, also when the route fails', async () => {
    const { webSocketHandler } = await import('../../../lambdas/shared/websocket.js');
    const handler = webSocketHandler(async (_event, _logger, metrics) => {
      metrics.count(CHAT_METRICS.FramesAnsweredInternal);
      throw new Error('boom');
    });

    const result = await handler(wsEvent('api-1'), contextOf('lambda-1'));

    expect(result).toEqual({ statusCode: 500, body: 'Internal server error' });
    const emf = lines.filter((line) => line._aws);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ FramesAnsweredInternal: 1, service: 'carchat' });
    expect(lines.find((line) => line.message === 'route_failed')).toMatchObject({
      error: 'Error: boom',
      function_request_id: 'lambda-1',
    });
  });
});

describe('an invocation through the HTTP wrapper', () => {
  it('logs the Lambda context and flushes the counts once', async () => {
    const { httpHandler } = await import('../../../lambdas/shared/http.js');
    const handler = httpHandler({
      path: /^\/api\/x\/?$/,
      methods: {
        GET: async ({ logger, metrics }) => {
          logger.info('listed');
          metrics.count(CHAT_METRICS.PostsSent, 2);
          return { status: 200, body: [] };
        },
      },
    });
    const event = {
      rawPath: '/api/x/',
      routeKey: 'GET /api/x',
      requestContext: { requestId: 'api-9', http: { method: 'GET' } },
    } as never;

    expect(await handler(event, contextOf('lambda-9'))).toMatchObject({ statusCode: 200 });

    expect(lines.find((line) => line.message === 'listed')).toMatchObject({
      function_request_id: 'lambda-9',
      requestId: 'api-9',
    });
    expect(lines.filter((line) => line._aws)).toEqual([expect.objectContaining({ PostsSent: 2 })]);
  });
});
