import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeHandler } from '../../../../lambdas/handlers/http/list-rooms.route.js';
import { envName } from '../../../../lambdas/config/settings-contract.js';
import { UnauthorizedError } from '../../../../lambdas/domain/errors.js';
import {
  makeWorld,
  NO_ACTIVITY,
  OTHER_ROOM_ID,
  OWNER_A,
  OWNER_A_TOKEN,
  ROOM_ID,
  seedRoom,
  type World,
} from '../../support/fixtures.js';
import { loadHandler } from '../../support/handler-env.js';
import { httpEvent, jsonBody } from '../../support/lambda-events.js';

/** The handler on in-memory fakes: owner A has two rooms, the second touched later. */
let world: World;
let handler: ReturnType<typeof makeHandler>;

const load = (env: Record<string, string | undefined> = {}) =>
  loadHandler(() => import('../../../../lambdas/handlers/http/list-rooms.js'), env);

const get = (path = '/api/chat/rooms/', token = OWNER_A_TOKEN) =>
  httpEvent({ method: 'GET', path, headers: { authorization: `Bearer ${token}` } });

beforeEach(() => {
  world = makeWorld();
  const createdAt = '2026-02-05T11:00:00.000Z';
  seedRoom(world.store, { createdAt, updatedAt: createdAt });
  seedRoom(world.store, { id: OTHER_ROOM_ID, createdAt, updatedAt: '2026-02-05T11:05:00.000Z' });
  handler = makeHandler(world);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('GET /api/chat/rooms/', () => {
  it("answers 200 with the owner's rooms in the shape of docs/api.md, newest first", async () => {
    const listRooms = vi.spyOn(world.store, 'listRoomsByOwner');

    const result = await handler(get());

    expect(result.statusCode).toBe(200);
    expect(jsonBody(result)).toEqual([
      {
        id: OTHER_ROOM_ID,
        owner_id: OWNER_A,
        visitor_name: 'Aziz',
        is_active: true,
        created_at: '2026-02-05T11:00:00.000Z',
        updated_at: '2026-02-05T11:05:00.000Z',
        ...NO_ACTIVITY,
      },
      {
        id: ROOM_ID,
        owner_id: OWNER_A,
        visitor_name: 'Aziz',
        is_active: true,
        created_at: '2026-02-05T11:00:00.000Z',
        updated_at: '2026-02-05T11:00:00.000Z',
        ...NO_ACTIVITY,
      },
    ]);
    // The owner comes from the verified token, nowhere else.
    expect(world.verifier.verified).toEqual([OWNER_A_TOKEN]);
    expect(listRooms.mock.calls[0]?.[0]).toBe(OWNER_A);
  });

  it('routes the path without the trailing slash too', async () => {
    expect((await handler(get('/api/chat/rooms'))).statusCode).toBe(200);
  });

  it('answers an extra path segment with 404 and a detail', async () => {
    const result = await handler(get(`/api/chat/rooms/${ROOM_ID}/`));

    expect(result.statusCode).toBe(404);
    expect(jsonBody(result)).toEqual({ detail: 'Not found.' });
  });

  it('answers POST with 405, an allow header and a detail', async () => {
    const result = await handler(httpEvent({ method: 'POST', path: '/api/chat/rooms/' }));

    expect(result.statusCode).toBe(405);
    expect(result.headers).toMatchObject({ allow: 'GET' });
    expect(jsonBody(result)).toEqual({ detail: 'Method "POST" not allowed.' });
  });

  it('answers a request without credentials with 401 and a detail, and reads nothing', async () => {
    const listRooms = vi.spyOn(world.store, 'listRoomsByOwner');

    const result = await handler(httpEvent({ method: 'GET', path: '/api/chat/rooms/' }));

    expect(result.statusCode).toBe(401);
    expect(jsonBody(result)).toEqual({ detail: 'Authentication credentials were not provided.' });
    expect(listRooms).not.toHaveBeenCalled();
  });

  it("answers a token the verifier refuses (expired, a refresh token) with 401 and the verifier's detail", async () => {
    vi.spyOn(world.verifier, 'verify').mockRejectedValue(new UnauthorizedError('Token is expired.'));

    const result = await handler(get());

    expect(result.statusCode).toBe(401);
    expect(jsonBody(result)).toEqual({ detail: 'Token is expired.' });
  });

  it('answers a token it does not know with 401', async () => {
    expect((await handler(get('/api/chat/rooms/', 'a-refresh-token'))).statusCode).toBe(401);
  });

  it('answers an outage of the owner key source with a bare 500, and recovers on the next request', async () => {
    vi.spyOn(world.verifier, 'verify').mockRejectedValueOnce(new Error('AccessDeniedException: not allowed'));

    const failed = await handler(get());
    const recovered = await handler(get());

    expect(failed.statusCode).toBe(500);
    expect(failed.body).toBe(JSON.stringify({ detail: 'A server error occurred.' }));
    expect(recovered.statusCode).toBe(200);
  });

  it('answers an unexpected store failure with a bare 500 that leaks nothing', async () => {
    vi.spyOn(world.store, 'listRoomsByOwner').mockRejectedValue(
      new Error('ValidationException: index by-owner missing on chat-table'),
    );

    const result = await handler(get());

    expect(result.statusCode).toBe(500);
    expect(jsonBody(result)).toEqual({ detail: 'A server error occurred.' });
  });
});

describe('the deployed entry point', () => {
  it('refuses to load without TABLE_NAME, naming it', async () => {
    await expect(load({ [envName('tableName')]: undefined })).rejects.toThrow(/TABLE_NAME is not set/);
  });

  it('refuses to load without an owner key source, naming the settings', async () => {
    await expect(load({ [envName('jwtSecretArn')]: undefined })).rejects.toThrow(/JWT_SECRET_ARN and JWT_JWKS_URL/);
  });

  it('refuses to load with both owner key sources', async () => {
    await expect(load({ [envName('jwtJwksUrl')]: 'https://auth.example/.well-known/jwks.json' })).rejects.toThrow(
      /exactly one of JWT_SECRET_ARN and JWT_JWKS_URL/,
    );
  });
});
