import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadWsViewerRequest } from '../../../lib/front-door/ws-viewer-request.js';
import type { LocalFunction } from '../../../local/lambda-functions.js';
import type { ObservedServerFrame } from '../../../local/traffic-observer.js';
import { AWS_WEBSOCKET_LIMITS, WebSocketGateway } from '../../../local/websocket-gateway.js';
import { loadApiSpecs } from '../../support/api-specs.js';

/**
 * What the local WebSocket gateway reports to the traffic observer: each frame sent to a client
 * socket, with the socket's channel, its own error frame included (which only a function that
 * fails outright provokes, so the integration suite never meets it).
 */
const ROOM_ID = '0b7e7c1e-6a55-4c5d-9d65-2f3cfb6f1d20';
let server: Server | undefined;
let gateway: WebSocketGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

const fn = (invoke: (event: any) => Promise<unknown>) =>
  ({ definition: { logicalId: 'Fn' }, invoke }) as unknown as LocalFunction;

/** A gateway whose $default fails outright on "fail" and otherwise posts a pong back through the management API. */
async function startGateway(frames: ObservedServerFrame[]): Promise<{ url: string }> {
  const started: { gateway?: WebSocketGateway } = {};
  const ws = new WebSocketGateway({
    apiLogicalId: 'Api',
    stageName: 'prod',
    routeSelectionExpression: '$request.body.action',
    routes: [
      { routeKey: '$connect', fn: fn(async () => ({ statusCode: 200 })) },
      {
        routeKey: '$default',
        fn: fn(async (event) => {
          if (event.body === 'fail') throw new Error('the function failed outright');
          started.gateway!.post(event.requestContext.connectionId, Buffer.from('{"type":"pong"}'));
          return { statusCode: 200 };
        }),
      },
    ],
    viewerRequest: loadWsViewerRequest('/prod'),
    limits: AWS_WEBSOCKET_LIMITS,
    log: () => undefined,
    observeFrame: (frame) => frames.push(frame),
  });
  started.gateway = ws;
  gateway = ws;
  server = createServer();
  server.on('upgrade', (req, socket, head) => void ws.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function exchange(url: string, send: string): Promise<string> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const received = new Promise<string>((resolve) => socket.once('message', (data) => resolve(data.toString())));
  socket.send(send);
  const frame = await received;
  socket.close();
  return frame;
}

describe('the frames the local WebSocket gateway reports', () => {
  it("report API Gateway's own error frame as asyncapi.yaml documents it, on a room socket", async () => {
    const frames: ObservedServerFrame[] = [];
    const { url } = await startGateway(frames);
    const received = await exchange(`${url}/ws/chat/${ROOM_ID}/?visitor=x`, 'fail');
    expect(JSON.parse(received)).toEqual({
      message: 'Internal server error',
      connectionId: expect.any(String),
      requestId: expect.any(String),
    });
    expect(frames).toEqual([{ channel: 'room', data: received }]);
    expect(loadApiSpecs().checkServerFrame('room', received)).toEqual([]);
  });

  it('report the management API posts, with the inbox as its channel', async () => {
    const frames: ObservedServerFrame[] = [];
    const { url } = await startGateway(frames);
    const received = await exchange(`${url}/ws/inbox/?token=x`, '{"type":"ping"}');
    expect(frames).toEqual([{ channel: 'inbox', data: received }]);
  });
});
