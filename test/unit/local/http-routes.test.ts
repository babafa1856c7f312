import { describe, expect, it } from 'vitest';
import { HttpRouter } from '../../../local/http-routes.js';

/**
 * The local gateway's route selection, against API Gateway's documented rules
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html,
 * "Routing API requests"): the most specific match wins; a full match (path variables
 * included) beats a greedy `{proxy+}`, which beats `$default`; no route is a 404.
 */
const routerOf = (routeKeys: string[]) => new HttpRouter(routeKeys.map((routeKey) => ({ routeKey, target: routeKey })));
const selected = (router: HttpRouter<string>, method: string, path: string) =>
  router.match(method, path)?.route.routeKey;

describe("API Gateway's own example", () => {
  const router = routerOf(['GET /pets/dog/{id}', 'GET /pets/{proxy+}', 'ANY /{proxy+}', '$default']);

  it.each([
    ['GET', '/pets/dog/1', 'GET /pets/dog/{id}'],
    ['GET', '/pets/cat/1', 'GET /pets/{proxy+}'],
    ['POST', '/test/5', 'ANY /{proxy+}'],
  ])('routes %s %s to %s', (method, path, routeKey) => {
    expect(selected(router, method, path)).toBe(routeKey);
  });
});

describe('the chat routes (each resource as `path` and `path/{proxy+}`)', () => {
  const ROOM = '2d7a3c4e-5f6b-4c7d-8e8f-9a0b1c2d3e4f';
  const router = routerOf([
    'ANY /api/chat/start',
    'ANY /api/chat/start/{proxy+}',
    'ANY /api/chat/rooms',
    'ANY /api/chat/rooms/{proxy+}',
    'ANY /api/chat/rooms/{roomId}',
    'ANY /api/chat/rooms/{roomId}/{proxy+}',
    'ANY /api/chat/rooms/{roomId}/messages',
    'ANY /api/chat/rooms/{roomId}/messages/{proxy+}',
    'ANY /api/chat/rooms/{roomId}/close',
    'ANY /api/chat/rooms/{roomId}/close/{proxy+}',
  ]);

  it.each([
    ['/api/chat/rooms', 'ANY /api/chat/rooms', undefined],
    // A greedy variable takes the empty rest after a trailing slash: how `path/` reaches `path`'s function.
    ['/api/chat/rooms/', 'ANY /api/chat/rooms/{proxy+}', { proxy: '' }],
    // A full match with a path variable beats the greedy route of the room list.
    [`/api/chat/rooms/${ROOM}`, 'ANY /api/chat/rooms/{roomId}', { roomId: ROOM }],
    // Both greedy routes match; the one with the longer specific prefix wins.
    [`/api/chat/rooms/${ROOM}/`, 'ANY /api/chat/rooms/{roomId}/{proxy+}', { roomId: ROOM, proxy: '' }],
    [`/api/chat/rooms/${ROOM}/messages`, 'ANY /api/chat/rooms/{roomId}/messages', { roomId: ROOM }],
    [
      `/api/chat/rooms/${ROOM}/messages/`,
      'ANY /api/chat/rooms/{roomId}/messages/{proxy+}',
      { roomId: ROOM, proxy: '' },
    ],
    [`/api/chat/rooms/${ROOM}/close`, 'ANY /api/chat/rooms/{roomId}/close', { roomId: ROOM }],
    [`/api/chat/rooms/${ROOM}/close/`, 'ANY /api/chat/rooms/{roomId}/close/{proxy+}', { roomId: ROOM, proxy: '' }],
    // Deeper paths land on the deepest greedy route that matches, whose handler answers 404.
    [`/api/chat/rooms/${ROOM}/x/y`, 'ANY /api/chat/rooms/{roomId}/{proxy+}', { roomId: ROOM, proxy: 'x/y' }],
    [
      `/api/chat/rooms/${ROOM}/messages/x`,
      'ANY /api/chat/rooms/{roomId}/messages/{proxy+}',
      { roomId: ROOM, proxy: 'x' },
    ],
  ])('routes %s to %s', (path, routeKey, pathParameters) => {
    expect(router.match('GET', path)).toEqual({ route: expect.objectContaining({ routeKey }), pathParameters });
  });

  it.each([['/api/chat'], ['/api/chat/'], ['/'], ['/api/chat/roomsx']])(
    'finds no route for %s (API Gateway 404)',
    (path) => {
      expect(router.match('GET', path)).toBeUndefined();
    },
  );

  it('selects the same way whatever the order the routes were declared in', () => {
    const reversed = routerOf([...router.routes.map((r) => r.routeKey)].reverse());
    for (const path of [
      `/api/chat/rooms/${ROOM}`,
      `/api/chat/rooms/${ROOM}/`,
      `/api/chat/rooms/${ROOM}/messages/`,
      '/api/chat/rooms/',
    ]) {
      expect(selected(reversed, 'GET', path)).toBe(selected(router, 'GET', path));
    }
  });
});

describe('methods', () => {
  it('prefers a route for the method over ANY on the same path, and falls back to ANY', () => {
    const router = routerOf(['ANY /items/{id}', 'GET /items/{id}']);

    expect(selected(router, 'GET', '/items/1')).toBe('GET /items/{id}');
    expect(selected(router, 'DELETE', '/items/1')).toBe('ANY /items/{id}');
  });

  it('lets a route of another method match nothing', () => {
    expect(selected(routerOf(['GET /items']), 'POST', '/items')).toBeUndefined();
  });
});
