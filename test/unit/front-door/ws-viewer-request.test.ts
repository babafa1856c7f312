import { describe, expect, it } from 'vitest';
import {
  loadWsViewerRequest,
  wsViewerRequestCode,
  type ViewerRequest,
} from '../../../lib/front-door/ws-viewer-request.js';

const ROOM = '0f8fad5b-d9cb-469f-a165-70867728950e';
const rewrite = loadWsViewerRequest('/prod');

const request = (uri: string, query: Record<string, string> = {}): { request: ViewerRequest } => ({
  request: {
    method: 'GET',
    uri,
    querystring: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, { value: v }])),
    headers: { host: { value: 'chat.example.com' } },
  },
});

const queryOf = (result: ReturnType<typeof rewrite>) => {
  if (!('uri' in result)) throw new Error(`expected a request, got ${JSON.stringify(result)}`);
  return Object.fromEntries(Object.entries(result.querystring).map(([k, v]) => [k, v.value]));
};

describe('CloudFront WebSocket path rewrite', () => {
  it.each([`/ws/chat/${ROOM}/`, `/ws/chat/${ROOM}`])('maps a visitor room path %s onto the stage root', (uri) => {
    const result = rewrite(request(uri, { visitor: 'v-token' }));
    expect(result).toMatchObject({ uri: '/prod' });
    expect(queryOf(result)).toEqual({ room: ROOM, visitor: 'v-token' });
  });

  it('maps an owner room path, keeping the token', () => {
    const result = rewrite(request(`/ws/chat/${ROOM}/`, { token: 'a.b.c' }));
    expect(queryOf(result)).toEqual({ room: ROOM, token: 'a.b.c' });
  });

  it('lower-cases the room id from the path', () => {
    const result = rewrite(request(`/ws/chat/${ROOM.toUpperCase()}/`, { visitor: 'x' }));
    expect(queryOf(result).room).toBe(ROOM);
  });

  it('keeps every other query parameter as it came', () => {
    const result = rewrite(request(`/ws/chat/${ROOM}/`, { visitor: 'x', lang: 'uz', v: '2' }));
    expect(queryOf(result)).toEqual({ room: ROOM, visitor: 'x', lang: 'uz', v: '2' });
  });

  it('replaces a client-supplied room or inbox parameter with the path', () => {
    const other = '11111111-2222-4333-8444-555555555555';
    const result = rewrite(request(`/ws/chat/${ROOM}/`, { visitor: 'x', room: other, inbox: '1' }));
    expect(queryOf(result)).toEqual({ room: ROOM, visitor: 'x' });
  });

  it.each(['/ws/inbox/', '/ws/inbox'])('maps the owner inbox %s to inbox=1', (uri) => {
    const result = rewrite(request(uri, { token: 'a.b.c', room: ROOM }));
    expect(result).toMatchObject({ uri: '/prod' });
    expect(queryOf(result)).toEqual({ inbox: '1', token: 'a.b.c' });
  });

  it.each([
    ['a non-UUID room', '/ws/chat/not-a-room/'],
    ['an extra segment', `/ws/chat/${ROOM}/extra/`],
    ['a missing room', '/ws/chat/'],
    ['encoded traversal', '/ws/chat/%2e%2e/%2e%2e/'],
    ['traversal', `/ws/chat/../${ROOM}/`],
    ['a double slash', `/ws/chat//${ROOM}/`],
    ['another /ws/ path', '/ws/'],
    ['a near-UUID', `/ws/chat/${ROOM}0/`],
  ])('answers 404 for %s', (_, uri) => {
    expect(rewrite(request(uri, { visitor: 'x' }))).toEqual({ statusCode: 404, statusDescription: 'Not Found' });
  });

  it('uses the stage path it was built for', () => {
    const dev = loadWsViewerRequest('/dev');
    expect(dev(request('/ws/inbox/', { token: 't' }))).toMatchObject({ uri: '/dev' });
  });

  it('refuses a stage path that could break the generated code', () => {
    expect(() => wsViewerRequestCode("/prod';alert(1);'")).toThrow(/stage path/);
  });

  it('stays within the CloudFront Functions size limit (10 KB)', () => {
    expect(Buffer.byteLength(wsViewerRequestCode('/prod'))).toBeLessThan(10 * 1024);
  });
});
