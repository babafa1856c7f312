import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { loadWsViewerRequest } from '../../../lib/front-door/ws-viewer-request.js';
import { forwardedHeaders } from '../../../local/aws-format.js';
import { isWebSocketPath, runViewerRequest, splitUrl } from '../../../local/front-door.js';

const viewerRequest = loadWsViewerRequest('/prod');
const handshake = (headers: Record<string, string> = {}) => ({ headers }) as unknown as IncomingMessage;

describe('the local edge', () => {
  it('splits a URL at the first ? into the path and the raw, still-encoded query', () => {
    expect(splitUrl('/ws/chat/r1/?visitor=a%2Bb&x=1?y')).toEqual({
      path: '/ws/chat/r1/',
      rawQuery: 'visitor=a%2Bb&x=1?y',
    });
    expect(splitUrl('/api/chat/rooms/')).toEqual({ path: '/api/chat/rooms/', rawQuery: '' });
    expect(splitUrl(undefined)).toEqual({ path: '/', rawQuery: '' });
  });

  it('leads only /ws/* to the WebSocket API', () => {
    expect(isWebSocketPath('/ws/chat/r1/')).toBe(true);
    expect(isWebSocketPath('/api/chat/start/')).toBe(false);
    expect(isWebSocketPath('/ws')).toBe(false);
  });

  it("runs the /ws/* function: a room's path becomes the stage with the room and the credentials in the query", () => {
    const room = '0190d9a8-7a5b-7c3d-8e4f-123456789abc';
    const result = runViewerRequest(viewerRequest, '/prod', {
      req: handshake({ host: 'localhost:8000' }),
      path: `/ws/chat/${room}/`,
      rawQuery: 'visitor=t%20k',
      sourceIp: '203.0.113.9',
    });
    expect(result).toEqual({ rawQuery: expect.stringContaining(`room=${room}`) });
    expect((result as { rawQuery: string }).rawQuery).toContain('visitor=t%20k');
  });

  it('answers what the function answers for a path that is not a socket, and 403 for a rewrite off the stage', () => {
    const request = { req: handshake(), path: '/ws/nothing/', rawQuery: '', sourceIp: '203.0.113.9' };
    expect(runViewerRequest(viewerRequest, '/prod', request)).toEqual({ status: 404 });
    const elsewhere = () => ({ method: 'GET', uri: '/other', querystring: {} });
    expect(runViewerRequest(elsewhere, '/prod', { ...request, path: '/ws/chat/x/' })).toEqual({ status: 403 });
  });

  it("adds API Gateway's X-Forwarded-* headers: the caller, the port, plain HTTP", () => {
    expect(forwardedHeaders('203.0.113.9', 8000)).toEqual([
      ['X-Forwarded-For', '203.0.113.9'],
      ['X-Forwarded-Port', '8000'],
      ['X-Forwarded-Proto', 'http'],
    ]);
  });
});
