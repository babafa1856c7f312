import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { loadWsViewerRequest } from '../../lib/front-door/ws-viewer-request.js';
import { ORIGIN_VERIFY_HEADER } from '../../lambdas/shared/origin-verify.js';
import type { Template } from '../../local/cloud-assembly.js';
import { LocalFrontDoor, readFrontDoor } from '../../local/front-door.js';
import { HttpApiCors, readCorsRules } from '../../local/http-cors.js';
import { HttpGateway } from '../../local/http-gateway.js';
import type { LocalFunction } from '../../local/lambda-functions.js';
import { AWS_WEBSOCKET_LIMITS, WebSocketGateway } from '../../local/websocket-gateway.js';
import { synthChatStack } from './synth.js';

/**
 * The local front door and HTTP API, with their rules read from templates the stack
 * synthesizes (no copy of the rules here), in front of functions that record their events.
 */

type Recorded = { headers: Record<string, string> };

function recordingFunction(events: Recorded[], result: unknown = { statusCode: 200, body: '[]' }): LocalFunction {
  return {
    definition: { logicalId: 'Recorder' },
    invoke: async (event: Recorded) => {
      events.push(event);
      return result;
    },
  } as unknown as LocalFunction;
}

const templateOf = (context: Record<string, unknown> = {}) => synthChatStack(context).template().toJSON() as Template;

const httpApiOf = (template: Template) =>
  Object.entries(template.Resources!).find(
    ([, r]) => r.Type === 'AWS::ApiGatewayV2::Api' && r.Properties?.ProtocolType === 'HTTP',
  )!;

async function serve(
  handler: Parameters<typeof createServer>[1] & object,
  upgrade?: WebSocketGateway,
): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  if (upgrade) server.on('upgrade', (req, socket, head) => void upgrade.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('the local front door, from the default template', () => {
  const events: Recorded[] = [];
  let http: { url: string; server: Server };
  let ws: WebSocketGateway;

  beforeAll(async () => {
    const template = templateOf();
    const rules = readFrontDoor(template)!;
    const frontDoor = new LocalFrontDoor(rules, { [ORIGIN_VERIFY_HEADER]: 'verify-value' });
    const [apiId, api] = httpApiOf(template);
    const gateway = new HttpGateway({
      apiLogicalId: apiId,
      routes: [{ routeKey: 'GET /api/chat/rooms', fn: recordingFunction(events) }],
      log: () => undefined,
      frontDoor,
      cors: new HttpApiCors(readCorsRules(apiId, api)!),
    });
    ws = new WebSocketGateway({
      apiLogicalId: 'LiveApi',
      stageName: 'prod',
      routeSelectionExpression: '$request.body.action',
      routes: [{ routeKey: '$connect', fn: recordingFunction(events, { statusCode: 200 }) }],
      viewerRequest: loadWsViewerRequest('/prod'),
      frontDoor,
      limits: AWS_WEBSOCKET_LIMITS,
      log: () => undefined,
    });
    http = await serve((req, res) => void gateway.handle(req, res), ws);
  });

  afterAll(async () => {
    await ws.close();
    http.server.close();
  });

  const viewerHeaders = {
    authorization: 'Bearer abc',
    origin: 'https://carinfopro.uz',
    'user-agent': 'test-agent',
    cookie: 'session=1',
    referer: 'https://carinfopro.uz/car/1?visitor=secret',
    'x-custom': 'not forwarded',
    'accept-language': 'uz',
    'cloudfront-viewer-address': '198.51.100.1:1',
    [ORIGIN_VERIFY_HEADER]: 'forged',
  };

  it('forwards to a function only the headers the policies name, and sets its own', async () => {
    events.length = 0;
    const response = await fetch(`${http.url}/api/chat/rooms`, { headers: viewerHeaders });
    expect(response.status).toBe(200);
    const seen = events[0]!.headers;
    expect(seen).toMatchObject({
      authorization: 'Bearer abc',
      origin: 'https://carinfopro.uz',
      'user-agent': 'test-agent',
    });
    for (const stripped of ['cookie', 'referer', 'x-custom', 'accept-language'])
      expect(seen).not.toHaveProperty(stripped);
    expect(seen['cloudfront-viewer-address']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seen[ORIGIN_VERIFY_HEADER]).toBe('verify-value');
  });

  it('does the same on the WebSocket handshake', async () => {
    events.length = 0;
    const socket = new WebSocket(`${http.url.replace('http', 'ws')}/ws/inbox/?token=t`, { headers: viewerHeaders });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.close();
    const seen = Object.fromEntries(Object.entries(events[0]!.headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(seen).toMatchObject({ origin: 'https://carinfopro.uz', 'user-agent': 'test-agent' });
    expect(seen['sec-websocket-key']).toBeDefined();
    for (const stripped of ['cookie', 'referer', 'x-custom', 'accept-language'])
      expect(seen).not.toHaveProperty(stripped);
    expect(seen[ORIGIN_VERIFY_HEADER]).toBe('verify-value');
  });

  it('answers a preflight itself (the function never sees it) and marks the actual response', async () => {
    events.length = 0;
    const preflight = await fetch(`${http.url}/api/chat/rooms`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://carinfopro.uz',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(preflight.headers.get('access-control-max-age')).toBe('3600');
    expect(events).toHaveLength(0);
    const actual = await fetch(`${http.url}/api/chat/rooms`, { headers: { origin: 'https://carinfopro.uz' } });
    expect(actual.headers.get('access-control-allow-origin')).toBe('*');
    expect(actual.headers.get('access-control-expose-headers')).toBe('retry-after,link');
  });
});

describe('the local HTTP API, from a template with corsAllowedOrigins=https://allowed.example', () => {
  const events: Recorded[] = [];
  let http: { url: string; server: Server };

  beforeAll(async () => {
    const template = templateOf({ corsAllowedOrigins: 'https://allowed.example' });
    const [apiId, api] = httpApiOf(template);
    const gateway = new HttpGateway({
      apiLogicalId: apiId,
      routes: [
        {
          routeKey: 'GET /api/chat/rooms',
          // A CORS header the function sets is dropped: API Gateway ignores them.
          fn: recordingFunction(events, {
            statusCode: 200,
            headers: { 'access-control-allow-origin': '*' },
            body: '[]',
          }),
        },
      ],
      log: () => undefined,
      frontDoor: new LocalFrontDoor(readFrontDoor(template)!, { [ORIGIN_VERIFY_HEADER]: 'v' }),
      cors: new HttpApiCors(readCorsRules(apiId, api)!),
    });
    http = await serve((req, res) => void gateway.handle(req, res));
  });

  afterAll(() => http.server.close());

  const preflight = (origin: string) =>
    fetch(`${http.url}/api/chat/rooms`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });

  it('allows the listed origin', async () => {
    const response = await preflight('https://allowed.example');
    expect(response.headers.get('access-control-allow-origin')).toBe('https://allowed.example');
  });

  it('gives another origin no CORS header, on the preflight and on the response', async () => {
    const refused = await preflight('https://other.example');
    expect(refused.status).toBe(204);
    expect([...refused.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    const actual = await fetch(`${http.url}/api/chat/rooms`, { headers: { origin: 'https://other.example' } });
    expect(actual.status).toBe(200);
    expect([...actual.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });
});

describe('without a front door (frontDoor=false)', () => {
  it('has no distribution rules, so no header is filtered', async () => {
    const template = templateOf({ frontDoor: 'false' });
    expect(readFrontDoor(template)).toBeUndefined();
    const events: Recorded[] = [];
    const [apiId, api] = httpApiOf(template);
    const gateway = new HttpGateway({
      apiLogicalId: apiId,
      routes: [{ routeKey: 'GET /api/chat/rooms', fn: recordingFunction(events) }],
      log: () => undefined,
      cors: new HttpApiCors(readCorsRules(apiId, api)!),
    });
    const http = await serve((req, res) => void gateway.handle(req, res));
    try {
      await fetch(`${http.url}/api/chat/rooms`, { headers: { 'x-custom': 'kept', cookie: 'a=1' } });
      expect(events[0]!.headers['x-custom']).toBe('kept');
    } finally {
      http.server.close();
    }
  });
});
