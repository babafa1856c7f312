import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeHandler } from '../../../../lambdas/handlers/http/close-room.route.js';
import { envName } from '../../../../lambdas/config/settings-contract.js';
import {
  makeWorld,
  OWNER_A_TOKEN,
  OWNER_B_TOKEN,
  ROOM_ID,
  seedRoom,
  VISITOR_TOKEN,
  type World,
} from '../../support/fixtures.js';
import { loadHandler } from '../../support/handler-env.js';
import { httpEvent, jsonBody } from '../../support/lambda-events.js';

/** The handler on in-memory fakes: a room with two sockets, and the owner's inbox socket. */
let world: World;
let handler: ReturnType<typeof makeHandler>;

const PATH = `/api/chat/rooms/${ROOM_ID}/close/`;
const closeAs = (token = OWNER_A_TOKEN, path = PATH) =>
  httpEvent({ method: 'POST', path, headers: { authorization: `Bearer ${token}` } });

beforeEach(async () => {
  world = makeWorld();
  const room = seedRoom(world.store);
  const member = (connectionId: string, role: 'visitor' | 'owner') => ({
    connectionId,
    identity: { kind: 'room' as const, roomId: ROOM_ID, ownerId: room.ownerId, role },
  });
  await world.store.saveConnection(member('visitor-1', 'visitor'), 1);
  await world.store.saveConnection(member('owner-1', 'owner'), 2);
  await world.store.saveConnection(
    { connectionId: 'inbox-1', identity: { kind: 'inbox', ownerId: room.ownerId, role: 'owner' } },
    3,
  );
  handler = makeHandler(world);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('POST /api/chat/rooms/<room_id>/close/', () => {
  it('answers 200 with the closed room', async () => {
    const result = await handler(closeAs());

    expect(result.statusCode).toBe(200);
    expect(jsonBody(result)).toMatchObject({ id: ROOM_ID, is_active: false });
    expect(world.store.rooms.get(ROOM_ID)?.isActive).toBe(false);
  });

  it('tells the room sockets, disconnects and forgets them, and updates the inbox', async () => {
    const result = await handler(closeAs());

    expect(world.gateway.sent).toEqual(
      expect.arrayContaining([
        { connectionId: 'visitor-1', payload: { type: 'room.closed', room_id: ROOM_ID } },
        { connectionId: 'owner-1', payload: { type: 'room.closed', room_id: ROOM_ID } },
        { connectionId: 'inbox-1', payload: { type: 'room.updated', room: jsonBody(result) } },
      ]),
    );
    expect([...world.gateway.disconnected].sort()).toEqual(['owner-1', 'visitor-1']);
    expect(await world.store.listRoomConnections(ROOM_ID)).toEqual([]);
  });

  it('routes the path without the trailing slash too', async () => {
    expect((await handler(closeAs(OWNER_A_TOKEN, `/api/chat/rooms/${ROOM_ID}/close`))).statusCode).toBe(200);
  });

  it('answers an extra path segment with 404 and a detail', async () => {
    const result = await handler(closeAs(OWNER_A_TOKEN, `${PATH}now/`));

    expect(result.statusCode).toBe(404);
    expect(jsonBody(result)).toEqual({ detail: 'Not found.' });
  });

  it('answers GET with 405, an allow header and a detail', async () => {
    const result = await handler(httpEvent({ method: 'GET', path: PATH }));

    expect(result.statusCode).toBe(405);
    expect(result.headers).toMatchObject({ allow: 'POST' });
    expect(jsonBody(result)).toEqual({ detail: 'Method "GET" not allowed.' });
  });

  it('answers the visitor token alone with 401: only the owner closes', async () => {
    const result = await handler(httpEvent({ method: 'POST', path: PATH, query: { visitor: VISITOR_TOKEN } }));

    expect(result.statusCode).toBe(401);
    expect(world.store.rooms.get(ROOM_ID)?.isActive).toBe(true);
  });

  it('answers an Authorization header that is not "Bearer <token>" with 401 and a detail', async () => {
    const result = await handler(
      httpEvent({ method: 'POST', path: PATH, headers: { authorization: `Token ${OWNER_A_TOKEN}` } }),
    );

    expect(result.statusCode).toBe(401);
    expect(jsonBody(result)).toEqual({ detail: 'Authorization header must be "Bearer <token>".' });
    expect(world.verifier.verified).toEqual([]);
  });

  it('answers another owner with 403 and closes nothing', async () => {
    const result = await handler(closeAs(OWNER_B_TOKEN));

    expect(result.statusCode).toBe(403);
    expect(world.store.rooms.get(ROOM_ID)?.isActive).toBe(true);
    expect(world.gateway.sent).toEqual([]);
  });

  it('answers an unexpected store failure with a bare 500 that leaks nothing', async () => {
    vi.spyOn(world.store, 'closeRoom').mockRejectedValue(new Error('ItemCollectionSizeLimitExceededException'));

    const result = await handler(closeAs());

    expect(result.statusCode).toBe(500);
    expect(jsonBody(result)).toEqual({ detail: 'A server error occurred.' });
  });
});

describe('the deployed entry point', () => {
  it('refuses to load without the management endpoint, naming its variable', async () => {
    const variable = envName('wsCallbackUrl');
    await expect(
      loadHandler(() => import('../../../../lambdas/handlers/http/close-room.js'), { [variable]: undefined }),
    ).rejects.toThrow(`${variable} is not set`);
  });
});
