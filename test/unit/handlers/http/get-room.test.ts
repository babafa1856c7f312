import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeHandler } from '../../../../lambdas/handlers/http/get-room.route.js';
import { envName } from '../../../../lambdas/config/settings-contract.js';
import { UnauthorizedError } from '../../../../lambdas/domain/errors.js';
import {
  makeWorld,
  NO_ACTIVITY,
  OWNER_A,
  OWNER_A_TOKEN,
  OWNER_B_TOKEN,
  ROOM_ID,
  seedRoom,
  UNKNOWN_UUID,
  VISITOR_TOKEN,
  type World,
} from '../../support/fixtures.js';
import { loadHandler } from '../../support/handler-env.js';
import { httpEvent, jsonBody } from '../../support/lambda-events.js';

/** The handler on in-memory fakes, with one open room. */
let world: World;
let handler: ReturnType<typeof makeHandler>;

const PATH = `/api/chat/rooms/${ROOM_ID}/`;
const asVisitor = (path = PATH, token = VISITOR_TOKEN) => httpEvent({ method: 'GET', path, query: { visitor: token } });
const asOwner = (token = OWNER_A_TOKEN, path = PATH) =>
  httpEvent({ method: 'GET', path, headers: { authorization: `Bearer ${token}` } });

/** The room list's item, exactly: nothing more (no token hash, no index keys). */
const ROOM_VIEW = {
  id: ROOM_ID,
  owner_id: OWNER_A,
  visitor_name: 'Aziz',
  is_active: true,
  created_at: '2026-02-05T11:00:00.000Z',
  updated_at: '2026-02-05T11:00:00.000Z',
  ...NO_ACTIVITY,
};

beforeEach(() => {
  world = makeWorld();
  seedRoom(world.store, { createdAt: '2026-02-05T11:00:00.000Z', updatedAt: '2026-02-05T11:00:00.000Z' });
  handler = makeHandler(world);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('GET /api/chat/rooms/<room_id>/', () => {
  it("answers the owner with 200 and the room in the room list's shape", async () => {
    const result = await handler(asOwner());

    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json' });
    expect(jsonBody(result)).toEqual(ROOM_VIEW);
    expect(world.verifier.verified).toEqual([OWNER_A_TOKEN]);
  });

  it('answers the visitor with the same room', async () => {
    const result = await handler(asVisitor());

    expect(result.statusCode).toBe(200);
    expect(jsonBody(result)).toEqual(ROOM_VIEW);
  });

  it('answers a closed room with 200 and is_active false', async () => {
    seedRoom(world.store, {
      isActive: false,
      createdAt: '2026-02-05T11:00:00.000Z',
      updatedAt: '2026-02-05T12:00:00.000Z',
    });

    const result = await handler(asVisitor());

    expect(result.statusCode).toBe(200);
    expect(jsonBody(result)).toEqual({ ...ROOM_VIEW, is_active: false, updated_at: '2026-02-05T12:00:00.000Z' });
  });

  it('routes the path without the trailing slash too', async () => {
    expect((await handler(asVisitor(`/api/chat/rooms/${ROOM_ID}`))).statusCode).toBe(200);
  });

  it.each([
    [`/api/chat/rooms/${ROOM_ID}/x/y`],
    [`/api/chat/rooms/${ROOM_ID}/x`],
    [`/api/chat/rooms/${ROOM_ID}//`],
    [`/api/chat/rooms/${ROOM_ID}/messages/`],
    [`/api/chat/rooms/${ROOM_ID}/close/`],
    ['/api/chat/rooms/'],
  ])('answers %s, which is not its path, with 404 and reads nothing', async (path) => {
    const getRoom = vi.spyOn(world.store, 'getRoom');

    const result = await handler(asVisitor(path));

    expect(result.statusCode).toBe(404);
    expect(jsonBody(result)).toEqual({ detail: 'Not found.' });
    expect(getRoom).not.toHaveBeenCalled();
  });

  it.each([['POST'], ['DELETE'], ['PUT']])('answers %s with 405, an allow header and a detail', async (method) => {
    const result = await handler(httpEvent({ method, path: PATH }));

    expect(result.statusCode).toBe(405);
    expect(result.headers).toMatchObject({ allow: 'GET' });
    expect(jsonBody(result)).toEqual({ detail: `Method "${method}" not allowed.` });
  });

  it('answers a request without credentials with 401 and a detail', async () => {
    const result = await handler(httpEvent({ method: 'GET', path: PATH }));

    expect(result.statusCode).toBe(401);
    expect(jsonBody(result)).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  it("answers an owner token the verifier refuses (expired, say) with 401 and the verifier's detail", async () => {
    vi.spyOn(world.verifier, 'verify').mockRejectedValue(new UnauthorizedError('Token is expired.'));

    const result = await handler(asOwner());

    expect(result.statusCode).toBe(401);
    expect(jsonBody(result)).toEqual({ detail: 'Token is expired.' });
  });

  it('answers another owner with 403', async () => {
    const result = await handler(asOwner(OWNER_B_TOKEN));

    expect(result.statusCode).toBe(403);
    expect(jsonBody(result)).toEqual({ detail: expect.any(String) });
  });

  it('answers the visitor token of another room with 403', async () => {
    expect((await handler(asVisitor(PATH, UNKNOWN_UUID))).statusCode).toBe(403);
  });

  it('answers an unknown room with 404, for the owner and for a visitor', async () => {
    const path = `/api/chat/rooms/${UNKNOWN_UUID}/`;

    expect((await handler(asOwner(OWNER_A_TOKEN, path))).statusCode).toBe(404);
    expect((await handler(asVisitor(path))).statusCode).toBe(404);
  });

  it('answers a malformed room id with 404', async () => {
    expect((await handler(asVisitor('/api/chat/rooms/not-a-room/'))).statusCode).toBe(404);
  });

  it('answers an unexpected store failure with a bare 500 that leaks nothing', async () => {
    vi.spyOn(world.store, 'getRoom').mockRejectedValue(new Error('ResourceNotFoundException: chat-table'));

    const result = await handler(asVisitor());

    expect(result.statusCode).toBe(500);
    expect(jsonBody(result)).toEqual({ detail: 'A server error occurred.' });
  });
});

describe('the deployed entry point', () => {
  it('refuses to load without an owner key source, naming the settings', async () => {
    await expect(
      loadHandler(() => import('../../../../lambdas/handlers/http/get-room.js'), {
        [envName('jwtSecretArn')]: undefined,
      }),
    ).rejects.toThrow(/JWT_SECRET_ARN and JWT_JWKS_URL/);
  });
});
