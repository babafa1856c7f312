import { handshakeCredentials } from '../../../lambdas/handlers/ws/connect.route.js';
/** The handshake's query string, read by the transport as the deployed handler does. */
type HandshakeQuery = Record<string, string | undefined>;
import { beforeEach, describe, expect, it } from 'vitest';
import {
  connect,
  disconnect,
  OVERTAKEN_CLOSE_RETRIES_MS,
  type ConnectRequest,
} from '../../../lambdas/domain/connections.js';
import {
  ChatError,
  ForbiddenError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from '../../../lambdas/domain/errors.js';
import {
  makeWorld,
  OTHER_ROOM_ID,
  OWNER_A,
  OWNER_A_TOKEN,
  OWNER_B,
  OWNER_B_TOKEN,
  ROOM_ID,
  seedRoom,
  UNKNOWN_UUID,
  VISITOR_TOKEN,
  type World,
} from '../support/fixtures.js';

const CONNECTED_AT = 1_770_289_200_000;

let world: World;
beforeEach(() => {
  world = makeWorld();
  seedRoom(world.store);
});

const request = (query: HandshakeQuery, connectionId = 'conn-1'): ConnectRequest => ({
  connectionId,
  credentials: handshakeCredentials(query),
  connectedAtMs: CONNECTED_AT,
});

async function refusal(query: HandshakeQuery): Promise<ChatError> {
  const error = await connect(world, request(query)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChatError);
  return error as ChatError;
}

describe('connect', () => {
  it('admits the visitor with its token as a visitor socket of the room', async () => {
    const identity = await connect(world, request({ room: ROOM_ID, visitor: VISITOR_TOKEN }));

    expect(identity).toEqual({ kind: 'room', roomId: ROOM_ID, ownerId: OWNER_A, role: 'visitor' });
    await expect(world.store.listRoomConnections(ROOM_ID)).resolves.toEqual([
      { connectionId: 'conn-1', role: 'visitor', connectedAt: CONNECTED_AT },
    ]);
    expect(world.store.connections.get('conn-1')?.connectedAt).toBe(CONNECTED_AT);
  });

  it('admits the owner with its JWT as an owner socket of the room', async () => {
    const identity = await connect(world, request({ room: ROOM_ID, token: OWNER_A_TOKEN }));

    expect(identity).toEqual({ kind: 'room', roomId: ROOM_ID, ownerId: OWNER_A, role: 'owner' });
    await expect(world.store.listRoomConnections(ROOM_ID)).resolves.toEqual([
      { connectionId: 'conn-1', role: 'owner', connectedAt: CONNECTED_AT },
    ]);
  });

  it('lower-cases an upper-case room id', async () => {
    const identity = await connect(world, request({ room: ROOM_ID.toUpperCase(), visitor: VISITOR_TOKEN }));

    expect(identity).toMatchObject({ roomId: ROOM_ID });
  });

  it.each([['1'], ['true']])('admits the owner inbox with inbox=%s and the JWT', async (inbox) => {
    const identity = await connect(world, request({ inbox, token: OWNER_A_TOKEN }));

    expect(identity).toEqual({ kind: 'inbox', ownerId: OWNER_A, role: 'owner' });
    await expect(world.store.listInboxConnections(OWNER_A)).resolves.toEqual(['conn-1']);
    await expect(world.store.listRoomConnections(ROOM_ID)).resolves.toEqual([]);
  });

  it('does not treat inbox=0 as an inbox', async () => {
    const error = await refusal({ inbox: '0', token: OWNER_A_TOKEN });

    expect(error).toBeInstanceOf(ValidationError);
  });

  describe('refuses, storing nothing', () => {
    const cases: [string, HandshakeQuery, typeof ChatError, number][] = [
      ['an unknown room (visitor)', { room: UNKNOWN_UUID, visitor: VISITOR_TOKEN }, ForbiddenError, 403],
      ['an unknown room (owner)', { room: UNKNOWN_UUID, token: OWNER_A_TOKEN }, ForbiddenError, 403],
      ['a wrong visitor token', { room: ROOM_ID, visitor: UNKNOWN_UUID }, ForbiddenError, 403],
      ['another owner', { room: ROOM_ID, token: OWNER_B_TOKEN }, ForbiddenError, 403],
      ['an invalid owner token', { room: ROOM_ID, token: 'forged' }, UnauthorizedError, 401],
      ['no credentials', { room: ROOM_ID }, UnauthorizedError, 401],
      ['empty credentials', { room: ROOM_ID, visitor: '', token: '' }, UnauthorizedError, 401],
      ['a malformed room id', { room: 'lobby', visitor: VISITOR_TOKEN }, ValidationError, 400],
      ['no room id', { visitor: VISITOR_TOKEN }, ValidationError, 400],
      ['an inbox without a token', { inbox: '1' }, UnauthorizedError, 401],
      ['an inbox with an invalid token', { inbox: '1', token: 'forged' }, UnauthorizedError, 401],
    ];

    it.each(cases)('%s', async (_case, query, type, status) => {
      const error = await refusal(query);

      expect(error).toBeInstanceOf(type);
      expect(error.status).toBe(status);
      expect(world.store.knowsConnection('conn-1')).toBe(false);
    });

    it.each([
      ['visitor', { room: ROOM_ID, visitor: VISITOR_TOKEN }],
      ['owner', { room: ROOM_ID, token: OWNER_A_TOKEN }],
    ])('a %s of a closed room with 403', async (_who, query) => {
      seedRoom(world.store, { isActive: false });

      const error = await refusal(query);

      expect(error).toBeInstanceOf(ForbiddenError);
      expect(world.store.knowsConnection('conn-1')).toBe(false);
    });

    it('the visitor token of one room on another room with 403', async () => {
      seedRoom(world.store, { id: OTHER_ROOM_ID, ownerId: OWNER_B }, UNKNOWN_UUID);

      const error = await refusal({ room: OTHER_ROOM_ID, visitor: VISITOR_TOKEN });

      expect(error).toBeInstanceOf(ForbiddenError);
    });
  });

  it('never logs the visitor token or the JWT', async () => {
    await connect(world, request({ room: ROOM_ID, visitor: VISITOR_TOKEN }, 'conn-1'));
    await connect(world, request({ room: ROOM_ID, token: OWNER_A_TOKEN }, 'conn-2'));

    const logged = JSON.stringify(world.logger.entries);
    expect(logged).not.toContain(VISITOR_TOKEN);
    expect(logged).not.toContain(OWNER_A_TOKEN);
  });
});

describe('connect, re-checking the room after writing its rows', () => {
  const visitorAt = (connectionId: string, connectedAtMs: number): ConnectRequest => ({
    connectionId,
    credentials: handshakeCredentials({ room: ROOM_ID, visitor: VISITOR_TOKEN }),
    connectedAtMs,
  });

  it('refuses with 403 and deletes its rows when the room was closed between its check and its write', async () => {
    const closing = world.store.getRoom(ROOM_ID).then(() => world.store.closeRoom(ROOM_ID, '2026-02-05T12:00:00.000Z'));
    const connecting = connect(world, request({ room: ROOM_ID, visitor: VISITOR_TOKEN }));

    await closing;
    await expect(connecting).rejects.toThrow(ForbiddenError);
    expect(world.store.knowsConnection('conn-1')).toBe(false);
  });

  it('refuses the socket beyond the cap with 429, per role, and keeps nothing of it', async () => {
    const capped = { ...world, socketsPerRoomMember: 2 };
    await connect(capped, visitorAt('v-1', 1));
    await connect(capped, visitorAt('v-2', 2));

    const error = await connect(capped, visitorAt('v-3', 3)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TooManyRequestsError);
    expect((error as ChatError).status).toBe(429);
    expect(world.store.knowsConnection('v-3')).toBe(false);
    expect(world.metrics.counts).toEqual({ SocketsOverMemberLimit: 1 });
    // The owner's sockets count on their own.
    await connect(capped, {
      connectionId: 'o-1',
      credentials: handshakeCredentials({ room: ROOM_ID, token: OWNER_A_TOKEN }),
      connectedAtMs: 4,
    });
    expect((await world.store.listRoomConnections(ROOM_ID)).map((c) => c.connectionId).sort()).toEqual([
      'o-1',
      'v-1',
      'v-2',
    ]);
  });

  it('closes a socket that an earlier handshake, connecting more slowly, ranks beyond the cap', async () => {
    const capped = { ...world, socketsPerRoomMember: 1 };
    // v-late's handshake was first (connectedAt 1) but its $connect runs after v-early's.
    await connect(capped, visitorAt('v-early', 2));

    await connect(capped, visitorAt('v-late', 1));

    expect(world.gateway.disconnected).toEqual(['v-early']);
    expect(world.metrics.counts).toEqual({ SocketsOverMemberLimit: 1 });
    expect(world.store.knowsConnection('v-early')).toBe(false);
    expect((await world.store.listRoomConnections(ROOM_ID)).map((c) => c.connectionId)).toEqual(['v-late']);
  });

  it('closes an overtaken socket whose own $connect had not finished (410) once it has, retrying with pauses', async () => {
    const pauses: number[] = [];
    const capped = { ...world, socketsPerRoomMember: 1, sleep: async (ms: number) => void pauses.push(ms) };
    await connect(capped, visitorAt('v-early', 2));
    // API Gateway answers 410 to a delete while the socket's $connect still runs.
    world.gateway.notYetConnected.set('v-early', 2);

    await connect(capped, visitorAt('v-late', 1));

    expect(world.gateway.disconnected).toEqual(['v-early']);
    expect(pauses).toEqual(OVERTAKEN_CLOSE_RETRIES_MS.slice(0, 2));
  });

  it('gives up on an overtaken socket that stays gone after the last retry (it closed by itself)', async () => {
    const pauses: number[] = [];
    const capped = { ...world, socketsPerRoomMember: 1, sleep: async (ms: number) => void pauses.push(ms) };
    await connect(capped, visitorAt('v-early', 2));
    world.gateway.notYetConnected.set('v-early', 99);

    await connect(capped, visitorAt('v-late', 1));

    expect(world.gateway.disconnected).toEqual([]);
    expect(pauses).toEqual([...OVERTAKEN_CLOSE_RETRIES_MS]);
    expect(world.store.knowsConnection('v-early')).toBe(false);
  });

  it('ends with exactly the cap open when many connect at once, the earliest handshakes', async () => {
    const capped = { ...world, socketsPerRoomMember: 3 };
    const ids = Array.from({ length: 10 }, (_, i) => `v-${i}`);

    const outcomes = await Promise.allSettled(ids.map((id, i) => connect(capped, visitorAt(id, 100 - i))));

    const refused = outcomes
      .filter((o) => o.status === 'rejected')
      .map((o) => (o as PromiseRejectedResult).reason as ChatError);
    for (const error of refused) expect(error.status).toBe(429);
    const kept = (await world.store.listRoomConnections(ROOM_ID)).map((c) => c.connectionId).sort();
    expect(kept).toEqual(['v-7', 'v-8', 'v-9']);
    const admitted = ids.filter((_, i) => outcomes[i]!.status === 'fulfilled');
    // Every admitted socket is either kept or was closed by a peer that outranks it.
    for (const id of admitted) expect(kept.includes(id) || world.gateway.disconnected.includes(id)).toBe(true);
  });
});

describe('disconnect', () => {
  it('forgets a room socket, meta and membership both', async () => {
    await connect(world, request({ room: ROOM_ID, visitor: VISITOR_TOKEN }));

    await disconnect(world, 'conn-1');

    expect(world.store.knowsConnection('conn-1')).toBe(false);
    await expect(world.store.listRoomConnections(ROOM_ID)).resolves.toEqual([]);
  });

  it('forgets an inbox socket', async () => {
    await connect(world, request({ inbox: '1', token: OWNER_A_TOKEN }));

    await disconnect(world, 'conn-1');

    await expect(world.store.listInboxConnections(OWNER_A)).resolves.toEqual([]);
  });

  it('leaves the other sockets of the room in place', async () => {
    await connect(world, request({ room: ROOM_ID, visitor: VISITOR_TOKEN }, 'conn-1'));
    await connect(world, request({ room: ROOM_ID, token: OWNER_A_TOKEN }, 'conn-2'));

    await disconnect(world, 'conn-1');

    await expect(world.store.listRoomConnections(ROOM_ID)).resolves.toEqual([
      { connectionId: 'conn-2', role: 'owner', connectedAt: CONNECTED_AT },
    ]);
  });

  it('is idempotent: an unknown or already removed connection is fine', async () => {
    await expect(disconnect(world, 'never-connected')).resolves.toBeUndefined();
    expect(world.logger.find('disconnected')).toEqual([
      { level: 'info', message: 'disconnected', extra: { connectionId: 'never-connected', known: false } },
    ]);
  });
});
