import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { envName } from '../../../../lambdas/config/settings-contract.js';
import { makeHandler, type MessageHandlerDeps } from '../../../../lambdas/handlers/ws/message.route.js';
import { makeWorld, OWNER_A, ROOM_ID, seedRoom, type World } from '../../support/fixtures.js';
import { loadHandler } from '../../support/handler-env.js';
import { webSocketEvent } from '../../support/lambda-events.js';

/** The handler on in-memory fakes: a room with the visitor's and the owner's socket. */
let world: World;

const handlerWith = (overrides: Partial<MessageHandlerDeps> = {}) =>
  makeHandler({ ...world, events: undefined, maxMessageLength: 4000, maxMessagesPerRoom: 10_000, ...overrides });

const frame = (body: unknown, connectionId = 'visitor-1') =>
  webSocketEvent({ routeKey: '$default', connectionId, body: typeof body === 'string' ? body : JSON.stringify(body) });

const storedMessages = () => [...(world.store.messages.get(ROOM_ID)?.values() ?? [])];

beforeEach(async () => {
  world = makeWorld();
  seedRoom(world.store);
  const member = (connectionId: string, role: 'visitor' | 'owner') => ({
    connectionId,
    identity: { kind: 'room' as const, roomId: ROOM_ID, ownerId: OWNER_A, role },
  });
  await world.store.saveConnection(member('visitor-1', 'visitor'), 1);
  await world.store.saveConnection(member('owner-1', 'owner'), 2);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('$default (a frame from a client)', () => {
  it('stores the message and broadcasts the same frame to every socket of the room', async () => {
    const result = await handlerWith()(frame({ message: 'Salom' }));

    expect(result).toEqual({ statusCode: 200 });
    const [stored] = storedMessages();
    expect(stored).toMatchObject({ roomId: ROOM_ID, content: 'Salom', senderType: 'visitor' });
    const expected = {
      id: stored!.id,
      room_id: ROOM_ID,
      sender_type: 'visitor',
      message: 'Salom',
      created_at: stored!.createdAt,
    };
    expect(world.gateway.framesTo('visitor-1')).toEqual([expected]);
    expect(world.gateway.framesTo('owner-1')).toEqual([expected]);
  });

  it('answers ping with pong after counting it at the arrival time', async () => {
    const admit = vi.spyOn(world.store, 'admitFrame');
    const event = frame({ type: 'ping' });

    await handlerWith()(event);

    expect(world.gateway.sent).toEqual([{ connectionId: 'visitor-1', payload: { type: 'pong' } }]);
    // (The third argument asks for the typing throttle; a ping does not.)
    expect(admit.mock.calls).toEqual([['visitor-1', event.requestContext.requestTimeEpoch, undefined]]);
    expect(storedMessages()).toEqual([]);
  });

  it('answers a frame that is not JSON with an error frame and its code, after counting it', async () => {
    const admit = vi.spyOn(world.store, 'admitFrame');

    const result = await handlerWith()(frame('not json'));

    expect(result).toEqual({ statusCode: 200 });
    expect(world.gateway.sent).toEqual([
      { connectionId: 'visitor-1', payload: { error: 'Frame must be JSON.', code: 'invalid_frame' } },
    ]);
    expect(admit).toHaveBeenCalledOnce();
  });

  it('echoes a valid client_id in the error frame of an invalid frame', async () => {
    const clientId = '6b1e7a8c-9d0f-4a1b-8c2d-3e4f5a6b7c8d';

    await handlerWith()(frame({ message: 42, client_id: clientId.toUpperCase() }));

    expect(world.gateway.sent).toEqual([
      {
        connectionId: 'visitor-1',
        payload: { error: 'message must be a string.', code: 'invalid_frame', client_id: clientId },
      },
    ]);
  });

  it('applies the configured message length', async () => {
    await handlerWith({ maxMessageLength: 10 })(frame({ message: 'a'.repeat(11) }));

    expect(world.gateway.sent).toEqual([
      {
        connectionId: 'visitor-1',
        payload: { error: 'message must be at most 10 characters.', code: 'message_too_long' },
      },
    ]);
  });

  it('applies the configured room size', async () => {
    const handler = handlerWith({ maxMessagesPerRoom: 1 });

    await handler(frame({ message: 'first' }));
    await handler(frame({ message: 'second' }, 'owner-1'));

    expect(storedMessages().map((message) => message.content)).toEqual(['first']);
    expect(world.gateway.framesTo('owner-1').at(-1)).toMatchObject({ code: 'room_full' });
  });

  it('forgets a socket that is gone, not the sender', async () => {
    world.gateway.gone.add('owner-1');

    await handlerWith()(frame({ message: 'Salom' }));

    expect((await world.store.listRoomConnections(ROOM_ID)).map((member) => member.connectionId)).toEqual([
      'visitor-1',
    ]);
  });

  it('answers a rate-limited sender with an error frame and stores nothing', async () => {
    vi.spyOn(world.store, 'admitFrame').mockResolvedValue({ admitted: false, reason: 'rate-limited', repeated: false });

    await handlerWith()(frame({ message: 'Salom' }));

    expect(world.gateway.sent).toEqual([
      {
        connectionId: 'visitor-1',
        payload: { error: 'Too many frames on this socket; slow down.', code: 'rate_limited' },
      },
    ]);
    expect(storedMessages()).toEqual([]);
  });

  it('refuses a message to a closed room with room_closed, takes the message back and closes the socket', async () => {
    world.store.rooms.get(ROOM_ID)!.isActive = false;

    await handlerWith()(frame({ message: 'Salom' }));

    expect(storedMessages()).toEqual([]);
    expect(world.gateway.sent).toEqual([
      { connectionId: 'visitor-1', payload: { error: 'This room is closed.', code: 'room_closed' } },
    ]);
    expect(world.gateway.disconnected).toEqual(['visitor-1']);
  });

  it('publishes the push event for a visitor message when the push hook is on', async () => {
    await handlerWith({ events: world.events })(frame({ message: 'Salom' }));

    expect(world.events.published).toEqual([
      expect.objectContaining({ roomId: ROOM_ID, ownerId: OWNER_A, preview: 'Salom', ownerOnline: true }),
    ]);
  });

  it('still delivers the message when the push event fails', async () => {
    world.events.failWith = new Error('AccessDenied');

    const result = await handlerWith({ events: world.events })(frame({ message: 'Salom' }));

    expect(result).toEqual({ statusCode: 200 });
    expect(world.gateway.recipients()).toEqual(['owner-1', 'visitor-1']);
  });

  it('answers an unexpected store failure with an internal error frame carrying the client_id, and no internals', async () => {
    vi.spyOn(world.store, 'putMessage').mockRejectedValue(
      new Error('InternalServerError at dynamodb.us-east-1.amazonaws.com'),
    );
    const clientId = '6b1e7a8c-9d0f-4a1b-8c2d-3e4f5a6b7c8d';

    const result = await handlerWith()(frame({ message: 'Salom', client_id: clientId }));

    expect(result).toEqual({ statusCode: 200 });
    expect(world.gateway.sent).toEqual([
      { connectionId: 'visitor-1', payload: { error: expect.any(String), code: 'internal', client_id: clientId } },
    ]);
    expect(JSON.stringify(world.gateway.sent)).not.toContain('dynamodb');
  });

  it('answers 500 (API Gateway then tells the client) when even the error frame cannot be posted', async () => {
    vi.spyOn(world.store, 'admitFrame').mockRejectedValue(new Error('InternalServerError'));
    world.gateway.failing.set('visitor-1', new Error('ECONNRESET'));

    const result = await handlerWith()(frame({ type: 'ping' }));

    expect(result).toEqual({ statusCode: 500, body: 'Internal server error' });
  });
});

describe('the deployed entry point', () => {
  const load = (env: Record<string, string | undefined>) =>
    loadHandler(() => import('../../../../lambdas/handlers/ws/message.js'), env);

  it.each([envName('tableName'), envName('wsCallbackUrl')])('refuses to load without %s, naming it', async (name) => {
    await expect(load({ [name]: undefined })).rejects.toThrow(`${name} is not set`);
  });

  it.each([['0'], ['30001'], ['many']])(
    'refuses to load with a message length of %s, naming the variable',
    async (value) => {
      const name = envName('maxMessageLength');
      await expect(load({ [name]: value })).rejects.toThrow(`${name} must be an integer from 1 to 30000`);
    },
  );

  it.each([['0'], ['1000001'], ['lots']])(
    'refuses to load with a room size of %s, naming the variable',
    async (value) => {
      const name = envName('maxMessagesPerRoom');
      await expect(load({ [name]: value })).rejects.toThrow(`${name} must be an integer from 1 to 1000000`);
    },
  );
});
