import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { makeHandler, type StartChatHandlerDeps } from '../../../../lambdas/handlers/http/start-chat.route.js';
import { envName } from '../../../../lambdas/config/settings-contract.js';
import { makeWorld, OWNER_A, type World } from '../../support/fixtures.js';
import { loadHandler } from '../../support/handler-env.js';
import { httpEvent, jsonBody } from '../../support/lambda-events.js';

/** The handler on in-memory fakes, with the deployed WebSocket URL template unless a test says otherwise. */
let world: World;
const TEMPLATE = 'wss://carinfopro.uz/ws/chat/{room_id}/';
const makeStart = (deps: Partial<StartChatHandlerDeps> = {}) =>
  makeHandler({ ...world, wsUrlTemplate: TEMPLATE, ...deps });
let handler: ReturnType<typeof makeHandler>;

const load = (env: Record<string, string | undefined> = {}) =>
  loadHandler(() => import('../../../../lambdas/handlers/http/start-chat.js'), env);

const post = (body: unknown, extra: Partial<Parameters<typeof httpEvent>[0]> = {}) =>
  httpEvent({
    method: 'POST',
    path: '/api/chat/start/',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...extra,
  });

beforeEach(() => {
  world = makeWorld();
  handler = makeStart();
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('POST /api/chat/start/', () => {
  it('creates a room and answers 201 with room_id, visitor_token, ws_path and ws_url', async () => {
    const result = await handler(post({ user_id: OWNER_A, visitor_name: 'Aziz' }));

    expect(result.statusCode).toBe(201);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json' });
    const body = jsonBody(result) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['room_id', 'visitor_token', 'ws_path', 'ws_url']);
    expect(body.ws_path).toBe(`/ws/chat/${body.room_id}/`);
    expect(body.ws_url).toBe(`wss://carinfopro.uz/ws/chat/${body.room_id}/`);
    const room = world.store.rooms.get(body.room_id as string);
    expect(room).toMatchObject({ id: body.room_id, ownerId: OWNER_A, visitorName: 'Aziz', isActive: true });
    // The store keeps the token's hash, never the token.
    expect(JSON.stringify(room)).not.toContain(body.visitor_token);
  });

  it('routes the path without the trailing slash too', async () => {
    const result = await handler(post({ user_id: OWNER_A }, { path: '/api/chat/start' }));

    expect(result.statusCode).toBe(201);
  });

  it('fills the room id into a query-string WebSocket URL template', async () => {
    handler = makeStart({ wsUrlTemplate: 'wss://abc123.execute-api.us-east-1.amazonaws.com/prod?room={room_id}' });

    const body = jsonBody(await handler(post({ user_id: OWNER_A }))) as Record<string, string>;

    expect(body.ws_url).toBe(`wss://abc123.execute-api.us-east-1.amazonaws.com/prod?room=${body.room_id}`);
  });

  it('fills {host} of a local template with the Host the client used', async () => {
    handler = makeStart({ wsUrlTemplate: 'ws://{host}/ws/chat/{room_id}/' });

    for (const host of ['192.168.1.20:8000', 'localhost:8000', '[::1]:8000']) {
      const headers = { 'content-type': 'application/json', host };
      const body = jsonBody(await handler(post({ user_id: OWNER_A }, { headers }))) as Record<string, string>;
      expect(body.ws_url).toBe(`ws://${host}/ws/chat/${body.room_id}/`);
    }
  });

  it('puts the API domain in {host} when the Host header is not a plain host and port', async () => {
    handler = makeStart({ wsUrlTemplate: 'ws://{host}/ws/chat/{room_id}/' });

    const headers = { 'content-type': 'application/json', host: 'evil.example/x?y' };
    const body = jsonBody(await handler(post({ user_id: OWNER_A }, { headers }))) as Record<string, string>;

    expect(body.ws_url).toBe(`ws://carinfopro.uz/ws/chat/${body.room_id}/`);
  });

  it('reads a base64-encoded body', async () => {
    const body = Buffer.from(JSON.stringify({ user_id: OWNER_A, visitor_name: 'Aziz' })).toString('base64');

    const result = await handler(post(body, { isBase64Encoded: true }));

    expect(result.statusCode).toBe(201);
    const { room_id } = jsonBody(result) as Record<string, string>;
    expect(world.store.rooms.get(room_id as string)).toMatchObject({ ownerId: OWNER_A, visitorName: 'Aziz' });
  });

  it('counts the start against the caller address', async () => {
    const admitRoomStart = vi.spyOn(world.store, 'admitRoomStart');

    await handler(post({ user_id: OWNER_A }, { sourceIp: '198.51.100.23' }));

    expect(admitRoomStart.mock.calls.map(([key]) => key)).toEqual(['198.51.100.23']);
  });

  describe('caller address for the start limit', () => {
    const frontDoor = { originVerifySecret: 'origin-verify-value' };
    let admitRoomStart: MockInstance<World['store']['admitRoomStart']>;
    const startKey = () => admitRoomStart.mock.calls[0]?.[0];
    const viaCloudFront = (headers: Record<string, string>) =>
      post(
        { user_id: OWNER_A },
        { sourceIp: '130.176.0.1', headers: { 'content-type': 'application/json', ...headers } },
      );

    beforeEach(() => {
      admitRoomStart = vi.spyOn(world.store, 'admitRoomStart');
    });

    it("takes the viewer's address from CloudFront-Viewer-Address when the origin-verify value matches", async () => {
      await makeStart(frontDoor)(
        viaCloudFront({ 'cloudfront-viewer-address': '198.51.100.9:51234', 'x-origin-verify': 'origin-verify-value' }),
      );

      expect(startKey()).toBe('198.51.100.9');
    });

    it('strips only the port from an IPv6 viewer address, and counts the address by its /64', async () => {
      await makeStart(frontDoor)(
        viaCloudFront({ 'cloudfront-viewer-address': '2001:db8::7:51234', 'x-origin-verify': 'origin-verify-value' }),
      );

      expect(startKey()).toBe('2001:db8:0:0::/64');
    });

    it('ignores CloudFront-Viewer-Address with a wrong origin-verify value', async () => {
      await makeStart(frontDoor)(
        viaCloudFront({ 'cloudfront-viewer-address': '198.51.100.9:51234', 'x-origin-verify': 'guessed' }),
      );

      expect(startKey()).toBe('130.176.0.1');
    });

    it('ignores CloudFront-Viewer-Address when no front door is configured', async () => {
      await handler(viaCloudFront({ 'cloudfront-viewer-address': '198.51.100.9:51234', 'x-origin-verify': '' }));

      expect(startKey()).toBe('130.176.0.1');
    });

    it('never trusts X-Forwarded-For', async () => {
      await makeStart(frontDoor)(viaCloudFront({ 'x-forwarded-for': '192.0.2.1' }));

      expect(startKey()).toBe('130.176.0.1');
    });
  });

  it('answers 429 with a detail and Retry-After of the minute when the address started too many chats', async () => {
    vi.spyOn(world.store, 'admitRoomStart').mockResolvedValue(false);

    const result = await handler(post({ user_id: OWNER_A }));

    expect(result.statusCode).toBe(429);
    expect(jsonBody(result)).toEqual({ detail: 'Too many chats started from this address; try again in a minute.' });
    expect(result.headers?.['retry-after']).toBe('60');
    expect(world.store.rooms.size).toBe(0);
  });

  it("answers 429 with Retry-After of the hour when the owner's hourly limit is reached (both limits are checked on every start)", async () => {
    const admitRoomStart = vi.spyOn(world.store, 'admitRoomStart');
    const admitOwnerRoomStart = vi.spyOn(world.store, 'admitOwnerRoomStart').mockResolvedValue(false);

    const result = await handler(post({ user_id: OWNER_A }));

    expect(result.statusCode).toBe(429);
    expect(jsonBody(result)).toEqual({
      detail: 'This owner has been sent too many new chats in the last hour; try again later.',
    });
    expect(result.headers?.['retry-after']).toBe('3600');
    expect(admitRoomStart).toHaveBeenCalledTimes(1);
    expect(admitOwnerRoomStart.mock.calls.map(([owner]) => owner)).toEqual([OWNER_A]);
    expect(world.store.rooms.size).toBe(0);
  });

  it.each([
    ['a malformed user_id', { user_id: 'abc' }, 'user_id must be a UUID.'],
    ['a non-string visitor_name', { user_id: OWNER_A, visitor_name: 5 }, 'visitor_name must be a string.'],
    ['bad JSON', '{', 'Request body is not valid JSON.'],
    ['an array', '[]', 'Request body must be a JSON object.'],
  ])('rejects %s with 400 and a detail', async (_case, body, detail) => {
    const result = await handler(post(body));

    expect(result.statusCode).toBe(400);
    expect(jsonBody(result)).toEqual({ detail });
    expect(world.store.rooms.size).toBe(0);
  });

  it('rejects a request without a body with 400', async () => {
    const result = await handler(httpEvent({ method: 'POST', path: '/api/chat/start/' }));

    expect(result.statusCode).toBe(400);
  });

  it('answers an extra path segment with 404 and a detail', async () => {
    const result = await handler(post({ user_id: OWNER_A }, { path: '/api/chat/start/extra/' }));

    expect(result.statusCode).toBe(404);
    expect(jsonBody(result)).toEqual({ detail: 'Not found.' });
  });

  it.each(['GET', 'PUT', 'DELETE'])('answers %s with 405, an allow header and a detail', async (method) => {
    const result = await handler(httpEvent({ method, path: '/api/chat/start/' }));

    expect(result.statusCode).toBe(405);
    expect(result.headers).toMatchObject({ allow: 'POST' });
    expect(jsonBody(result)).toEqual({ detail: `Method "${method}" not allowed.` });
  });

  it('answers an unexpected store failure with a bare 500 that leaks nothing', async () => {
    vi.spyOn(world.store, 'createRoom').mockRejectedValue(
      Object.assign(new Error('Requested resource not found: Table: chat-table'), {
        name: 'ResourceNotFoundException',
      }),
    );

    const result = await handler(post({ user_id: OWNER_A }));

    expect(result.statusCode).toBe(500);
    expect(result.body).toBe(JSON.stringify({ detail: 'A server error occurred.' }));
  });

  describe("the owner's live inbox", () => {
    beforeEach(async () => {
      await world.store.saveConnection(
        { connectionId: 'inbox-1', identity: { kind: 'inbox', ownerId: OWNER_A, role: 'owner' } },
        1,
      );
    });

    it('is told about the new room', async () => {
      const body = jsonBody(await handler(post({ user_id: OWNER_A }))) as Record<string, string>;

      expect(world.gateway.framesTo('inbox-1')).toEqual([
        expect.objectContaining({
          type: 'room.created',
          room: expect.objectContaining({ id: body.room_id, owner_id: OWNER_A }),
        }),
      ]);
    });

    it('failing to hear it does not fail the start: still 201', async () => {
      world.gateway.failing.set('inbox-1', new Error('boom'));

      const result = await handler(post({ user_id: OWNER_A }));

      expect(result.statusCode).toBe(201);
    });
  });
});

describe('the deployed entry point', () => {
  it.each([envName('tableName'), envName('wsCallbackUrl'), envName('wsUrlTemplate')])(
    'refuses to load without %s, naming it',
    async (name) => {
      await expect(load({ [name]: undefined })).rejects.toThrow(new RegExp(`${name} is not set`));
    },
  );

  it('refuses to load with a rate limit out of range, naming the setting', async () => {
    await expect(load({ [envName('roomStartsPerMinutePerIp')]: 'lots' })).rejects.toThrow(
      /ROOM_STARTS_PER_MINUTE_PER_IP must be an integer/,
    );
    // Past 100 the limit's UpdateExpression would outgrow DynamoDB's 4 KB.
    await expect(load({ [envName('roomStartsPerMinutePerIp')]: '101' })).rejects.toThrow(
      /ROOM_STARTS_PER_MINUTE_PER_IP must be an integer from 0 to 100/,
    );
  });
});
