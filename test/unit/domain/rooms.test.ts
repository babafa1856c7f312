import { bearerCredential, queryInteger } from '../../../lambdas/handlers/http/parse.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../../../lambdas/domain/errors.js';
import type { ChatMessage } from '../../../lambdas/domain/model.js';
import { authorizeRoomReader, closeRoom, getHistory, getRoom, listRooms } from '../../../lambdas/domain/rooms.js';
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
import { NO_ACTIVITY } from '../support/fixtures.js';

/** The items of a page, for tests of what a list holds (its continuation is tested on its own). */
const historyItems = (...args: Parameters<typeof historyPage>) => historyPage(...args).then((page) => page.items);
const roomList = (deps: Parameters<typeof listRooms>[0], authorization: string | undefined, cursor?: string) =>
  listRooms(deps, bearerCredential(authorization), cursor).then((page) => page.items);
/** getHistory with the query as the wire spells it (the continuation's query is that too). */
const historyPage = (
  deps: Parameters<typeof getHistory>[0],
  roomId: string | undefined,
  credentials: Parameters<typeof getHistory>[2],
  query: Record<string, string | undefined>,
) => getHistory(deps, roomId, credentials, { ...query, limit: queryInteger(query.limit) });

// As the transport hands them over: the header, and the credential it parses into.
const ownerHeader = (token: string) => ({
  authorization: `Bearer ${token}`,
  owner: bearerCredential(`Bearer ${token}`),
});
const ownerA = ownerHeader(OWNER_A_TOKEN);
const ownerB = ownerHeader(OWNER_B_TOKEN);
const visitor = { visitorToken: VISITOR_TOKEN };

let world: World;
beforeEach(() => {
  world = makeWorld();
});

/** Ten messages one second apart, m0 oldest; ids chosen so id order differs from time order. */
function seedMessages(count = 10): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (let i = 0; i < count; i += 1) {
    const message: ChatMessage = {
      id: `${String(9 - i).repeat(8)}-0000-4000-8000-00000000000${i % 10}`,
      roomId: ROOM_ID,
      senderType: i % 2 === 0 ? 'visitor' : 'owner',
      content: `m${i}`,
      createdAt: new Date(Date.parse('2026-02-05T11:00:00.000Z') + i * 1000).toISOString(),
    };
    messages.push(message);
    const room = world.store.messages.get(ROOM_ID) ?? new Map();
    room.set(message.id, message);
    world.store.messages.set(ROOM_ID, room);
  }
  return messages;
}

describe('list rooms', () => {
  it('pages a long list with a cursor after the last room of each page, most recent activity first', async () => {
    const ids = Array.from({ length: 1005 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    for (const [i, id] of ids.entries()) {
      seedRoom(world.store, {
        id,
        updatedAt: new Date(Date.parse('2026-02-05T10:00:00.000Z') + i * 1000).toISOString(),
      });
    }

    const first = await listRooms(world, ownerA.owner);
    expect(first.items).toHaveLength(1000);
    expect(first.items[0]!.id).toBe(ids[1004]);
    expect(first.continuation?.rel).toBe('next');
    const second = await listRooms(world, ownerA.owner, first.continuation!.query.cursor);
    expect(second.items.map((room) => room.id)).toEqual(ids.slice(0, 5).reverse());
    expect(second).not.toHaveProperty('continuation');
  });

  it.each(['garbage', Buffer.from('2026-02-05T10:00:00.000Z#not-a-uuid').toString('base64url'), ''])(
    'refuses the cursor %j with a ValidationError',
    async (cursor) => {
      await expect(listRooms(world, ownerA.owner, cursor)).rejects.toThrow(ValidationError);
    },
  );

  it("returns the owner's rooms, most recent activity first, in the shape of docs/api.md", async () => {
    seedRoom(world.store, { id: ROOM_ID, updatedAt: '2026-02-05T10:00:00.000Z' });
    seedRoom(world.store, { id: OTHER_ROOM_ID, visitorName: '', updatedAt: '2026-02-05T12:00:00.000Z' });

    const rooms = await roomList(world, ownerA.authorization);

    expect(rooms).toEqual([
      {
        id: OTHER_ROOM_ID,
        owner_id: OWNER_A,
        visitor_name: '',
        is_active: true,
        created_at: '2026-02-05T10:00:00.000Z',
        updated_at: '2026-02-05T12:00:00.000Z',
        ...NO_ACTIVITY,
      },
      {
        id: ROOM_ID,
        owner_id: OWNER_A,
        visitor_name: 'Aziz',
        is_active: true,
        created_at: '2026-02-05T10:00:00.000Z',
        updated_at: '2026-02-05T10:00:00.000Z',
        ...NO_ACTIVITY,
      },
    ]);
  });

  it("never includes another owner's rooms", async () => {
    seedRoom(world.store, { ownerId: OWNER_B });

    await expect(roomList(world, ownerA.authorization)).resolves.toEqual([]);
  });

  it('never exposes the visitor token hash', async () => {
    const room = seedRoom(world.store);

    const rooms = await roomList(world, ownerA.authorization);

    expect(JSON.stringify(rooms)).not.toContain(room.visitorTokenHash);
  });

  it('accepts the Bearer scheme in any case', async () => {
    seedRoom(world.store);

    await expect(roomList(world, `bearer ${OWNER_A_TOKEN}`)).resolves.toHaveLength(1);
  });

  it('rejects a request without an Authorization header with UnauthorizedError', async () => {
    await expect(roomList(world, undefined)).rejects.toThrow(UnauthorizedError);
  });

  it.each([
    ['another scheme', `Token ${OWNER_A_TOKEN}`],
    ['no token after Bearer', 'Bearer '],
    ['two tokens', `Bearer ${OWNER_A_TOKEN} extra`],
  ])('rejects an Authorization header with %s with UnauthorizedError', async (_case, header) => {
    await expect(roomList(world, header)).rejects.toThrow(UnauthorizedError);
    expect(world.verifier.verified).toEqual([]);
  });

  it('rejects a token the verifier refuses with UnauthorizedError', async () => {
    await expect(roomList(world, 'Bearer forged')).rejects.toThrow(UnauthorizedError);
  });
});

describe('authorize room reader', () => {
  beforeEach(() => {
    seedRoom(world.store);
  });

  it('lets the owner in with a JWT', async () => {
    const { room, role } = await authorizeRoomReader(world, ROOM_ID, ownerA);

    expect(role).toBe('owner');
    expect(room.id).toBe(ROOM_ID);
  });

  it('lets the visitor in with its token', async () => {
    const { role } = await authorizeRoomReader(world, ROOM_ID, visitor);

    expect(role).toBe('visitor');
  });

  it('accepts the visitor token and the room id in upper case', async () => {
    const { role } = await authorizeRoomReader(world, ROOM_ID.toUpperCase(), {
      visitorToken: VISITOR_TOKEN.toUpperCase(),
    });

    expect(role).toBe('visitor');
  });

  it('prefers the owner JWT when both credentials are sent', async () => {
    const { role } = await authorizeRoomReader(world, ROOM_ID, { ...ownerA, ...visitor });

    expect(role).toBe('owner');
  });

  it('lets the reader into a closed room: the history stays readable', async () => {
    seedRoom(world.store, { isActive: false });

    await expect(authorizeRoomReader(world, ROOM_ID, visitor)).resolves.toMatchObject({ role: 'visitor' });
  });

  it('rejects a request without credentials with UnauthorizedError (401)', async () => {
    const error = await authorizeRoomReader(world, ROOM_ID, {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as UnauthorizedError).status).toBe(401);
  });

  it('rejects a wrong visitor token with ForbiddenError (403)', async () => {
    const error = await authorizeRoomReader(world, ROOM_ID, { visitorToken: UNKNOWN_UUID }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as ForbiddenError).status).toBe(403);
  });

  it("rejects the token of another room's visitor with ForbiddenError", async () => {
    seedRoom(world.store, { id: OTHER_ROOM_ID }, UNKNOWN_UUID);

    await expect(authorizeRoomReader(world, OTHER_ROOM_ID, visitor)).rejects.toThrow(ForbiddenError);
  });

  it('rejects another owner with ForbiddenError', async () => {
    await expect(authorizeRoomReader(world, ROOM_ID, ownerB)).rejects.toThrow(ForbiddenError);
  });

  it('rejects an invalid owner token with UnauthorizedError even when the visitor token is right', async () => {
    await expect(
      authorizeRoomReader(world, ROOM_ID, { owner: bearerCredential('Bearer forged'), visitorToken: VISITOR_TOKEN }),
    ).rejects.toThrow(UnauthorizedError);
  });

  it.each([
    ['owner', ownerA],
    ['visitor', visitor],
  ])('answers an unknown room with NotFoundError (404) for the %s', async (_who, credentials) => {
    const error = await authorizeRoomReader(world, UNKNOWN_UUID, credentials).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).status).toBe(404);
  });

  it.each([['not-a-uuid'], [''], [undefined], [`${ROOM_ID}/x`]])(
    'answers a malformed room id %j with NotFoundError, before looking at credentials',
    async (roomId) => {
      await expect(authorizeRoomReader(world, roomId, {})).rejects.toThrow(NotFoundError);
    },
  );
});

describe('get room', () => {
  const expectedView = (overrides: Record<string, unknown> = {}) => ({
    id: ROOM_ID,
    owner_id: OWNER_A,
    visitor_name: 'Aziz',
    is_active: true,
    created_at: '2026-02-05T10:00:00.000Z',
    updated_at: '2026-02-05T10:00:00.000Z',
    ...NO_ACTIVITY,
    ...overrides,
  });

  it("returns the room to its owner in the room list's shape, exactly", async () => {
    seedRoom(world.store);

    expect(await getRoom(world, ROOM_ID, ownerA)).toEqual(expectedView());
  });

  it('returns the same room to its visitor', async () => {
    seedRoom(world.store);

    expect(await getRoom(world, ROOM_ID, visitor)).toEqual(expectedView());
  });

  it('returns a closed room with is_active false, to both sides, so a client learns the chat is over', async () => {
    seedRoom(world.store, { isActive: false, updatedAt: '2026-02-05T12:00:00.000Z' });

    const closed = expectedView({ is_active: false, updated_at: '2026-02-05T12:00:00.000Z' });
    expect(await getRoom(world, ROOM_ID, visitor)).toEqual(closed);
    expect(await getRoom(world, ROOM_ID, ownerA)).toEqual(closed);
  });

  it('is the same view the room list gives', async () => {
    seedRoom(world.store);

    expect([await getRoom(world, ROOM_ID, ownerA)]).toEqual(await roomList(world, ownerA.authorization));
  });

  it.each([
    ['no credentials', {}, UnauthorizedError],
    ['another owner', ownerB, ForbiddenError],
    ['a wrong visitor token', { visitorToken: UNKNOWN_UUID }, ForbiddenError],
  ])('refuses %s as the other room routes do', async (_who, credentials, errorType) => {
    seedRoom(world.store);

    await expect(getRoom(world, ROOM_ID, credentials)).rejects.toThrow(errorType);
  });

  it('answers an unknown or malformed room with NotFoundError', async () => {
    await expect(getRoom(world, UNKNOWN_UUID, ownerA)).rejects.toThrow(NotFoundError);
    await expect(getRoom(world, 'not-a-uuid', visitor)).rejects.toThrow(NotFoundError);
  });
});

describe('get history', () => {
  let messages: ChatMessage[];
  beforeEach(() => {
    seedRoom(world.store);
    messages = seedMessages();
  });

  const contents = (items: { content: string }[]) => items.map((item) => item.content);

  it('returns the whole history oldest first in the shape of docs/api.md', async () => {
    const history = await historyItems(world, ROOM_ID, visitor, {});

    expect(contents(history)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    expect(history[0]).toEqual({
      id: messages[0]?.id,
      room_id: ROOM_ID,
      sender_type: 'visitor',
      content: 'm0',
      created_at: '2026-02-05T11:00:00.000Z',
    });
  });

  it('includes client_id on messages that carry one', async () => {
    const room = world.store.messages.get(ROOM_ID);
    const first = messages[0] as ChatMessage;
    room?.set(first.id, { ...first, clientId: UNKNOWN_UUID });

    const history = await historyItems(world, ROOM_ID, ownerA, {});

    expect(history[0]).toHaveProperty('client_id', UNKNOWN_UUID);
    expect(history[1]).not.toHaveProperty('client_id');
  });

  it('has no continuation when the whole history fits', async () => {
    await expect(historyPage(world, ROOM_ID, visitor, {})).resolves.not.toHaveProperty('continuation');
  });

  it('keeps the newest messages that fit in the response budget, escapes counted, and continues before the oldest kept', async () => {
    // Quotes are escaped twice in the Lambda result: 1 MB of them weighs 4 MB there.
    const heavy = '"'.repeat(1024 * 1024);
    for (const message of messages) world.store.messages.get(ROOM_ID)!.set(message.id, { ...message, content: heavy });

    const page = await historyPage(world, ROOM_ID, visitor, {});

    expect(page.items.map((item) => item.id)).toEqual([messages[9]!.id]);
    expect(page.continuation).toEqual({ rel: 'prev', query: { before: messages[9]!.id } });
    const next = await historyPage(world, ROOM_ID, visitor, { ...page.continuation!.query, limit: '5' });
    expect(next.items.map((item) => item.id)).toEqual([messages[8]!.id]);
    expect(next.continuation).toEqual({ rel: 'prev', query: { before: messages[8]!.id, limit: '5' } });
  });

  it('continues a limited page before its oldest message, and a page after a message after its newest', async () => {
    await expect(historyPage(world, ROOM_ID, visitor, { limit: '3' })).resolves.toMatchObject({
      continuation: { rel: 'prev', query: { before: messages[7]!.id, limit: '3' } },
    });
    await expect(historyPage(world, ROOM_ID, visitor, { after: messages[1]!.id, limit: '3' })).resolves.toMatchObject({
      continuation: { rel: 'next', query: { after: messages[4]!.id, limit: '3' } },
    });
    await expect(
      historyPage(world, ROOM_ID, visitor, { after: messages[6]!.id, limit: '3' }),
    ).resolves.not.toHaveProperty('continuation');
  });

  it('returns the history to the owner too', async () => {
    await expect(historyItems(world, ROOM_ID, ownerA, {})).resolves.toHaveLength(10);
  });

  it('returns an empty list for a room without messages', async () => {
    seedRoom(world.store, { id: OTHER_ROOM_ID });

    await expect(historyItems(world, OTHER_ROOM_ID, ownerA, {})).resolves.toEqual([]);
  });

  it('with limit returns the most recent messages, still oldest first', async () => {
    const history = await historyItems(world, ROOM_ID, visitor, { limit: '3' });

    expect(contents(history)).toEqual(['m7', 'm8', 'm9']);
  });

  it('with before returns only older messages', async () => {
    const history = await historyItems(world, ROOM_ID, visitor, { before: messages[3]?.id });

    expect(contents(history)).toEqual(['m0', 'm1', 'm2']);
  });

  it('with before and limit returns the most recent of the older messages', async () => {
    const history = await historyItems(world, ROOM_ID, visitor, { before: messages[6]?.id, limit: '2' });

    expect(contents(history)).toEqual(['m4', 'm5']);
  });

  it('with after returns only newer messages', async () => {
    const history = await historyItems(world, ROOM_ID, visitor, { after: messages[7]?.id });

    expect(contents(history)).toEqual(['m8', 'm9']);
  });

  it('with after and limit pages forward from after', async () => {
    const history = await historyItems(world, ROOM_ID, visitor, { after: messages[2]?.id, limit: '2' });

    expect(contents(history)).toEqual(['m3', 'm4']);
  });

  it('with after and before returns the messages strictly between', async () => {
    const history = await historyItems(world, ROOM_ID, visitor, { after: messages[2]?.id, before: messages[5]?.id });

    expect(contents(history)).toEqual(['m3', 'm4']);
  });

  it('with after newer than before returns nothing', async () => {
    const history = await historyItems(world, ROOM_ID, visitor, { after: messages[5]?.id, before: messages[2]?.id });

    expect(history).toEqual([]);
  });

  it('accepts limit 1 and limit 200', async () => {
    await expect(historyItems(world, ROOM_ID, visitor, { limit: '1' })).resolves.toHaveLength(1);
    await expect(historyItems(world, ROOM_ID, visitor, { limit: '200' })).resolves.toHaveLength(10);
  });

  it.each([['0'], ['201'], ['-1'], ['1.5'], ['ten'], [''], ['1e2'], [' 5']])(
    'rejects limit %j with ValidationError (400)',
    async (limit) => {
      const error = await historyItems(world, ROOM_ID, visitor, { limit }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).status).toBe(400);
    },
  );

  it.each(['before', 'after'] as const)('rejects an unknown %s id with ValidationError', async (field) => {
    await expect(historyItems(world, ROOM_ID, visitor, { [field]: UNKNOWN_UUID })).rejects.toThrow(
      new ValidationError(`${field} does not name a message of this room.`),
    );
  });

  it.each(['before', 'after'] as const)('rejects a malformed %s id with ValidationError', async (field) => {
    await expect(historyItems(world, ROOM_ID, visitor, { [field]: 'm3' })).rejects.toThrow(ValidationError);
  });

  it('rejects a before id that names a message of another room', async () => {
    seedRoom(world.store, { id: OTHER_ROOM_ID });

    await expect(historyItems(world, OTHER_ROOM_ID, ownerA, { before: messages[3]?.id })).rejects.toThrow(
      ValidationError,
    );
  });

  it('checks credentials before paging parameters', async () => {
    await expect(historyItems(world, ROOM_ID, {}, { limit: '0' })).rejects.toThrow(UnauthorizedError);
    await expect(historyItems(world, ROOM_ID, { visitorToken: UNKNOWN_UUID }, { limit: '0' })).rejects.toThrow(
      ForbiddenError,
    );
  });

  it('answers an unknown room with NotFoundError', async () => {
    await expect(historyItems(world, UNKNOWN_UUID, ownerA, {})).rejects.toThrow(NotFoundError);
  });
});

describe('close room', () => {
  beforeEach(async () => {
    seedRoom(world.store);
    await world.store.saveConnection(
      { connectionId: 'visitor-1', identity: { kind: 'room', roomId: ROOM_ID, ownerId: OWNER_A, role: 'visitor' } },
      0,
    );
    await world.store.saveConnection(
      { connectionId: 'owner-1', identity: { kind: 'room', roomId: ROOM_ID, ownerId: OWNER_A, role: 'owner' } },
      0,
    );
    await world.store.saveConnection(
      { connectionId: 'inbox-a', identity: { kind: 'inbox', ownerId: OWNER_A, role: 'owner' } },
      0,
    );
    await world.store.saveConnection(
      { connectionId: 'inbox-b', identity: { kind: 'inbox', ownerId: OWNER_B, role: 'owner' } },
      0,
    );
    await world.store.saveConnection(
      {
        connectionId: 'elsewhere',
        identity: { kind: 'room', roomId: OTHER_ROOM_ID, ownerId: OWNER_A, role: 'visitor' },
      },
      0,
    );
    world.clock.advance(5 * 60_000);
  });

  it('marks the room inactive and returns it in the room shape', async () => {
    const view = await closeRoom(world, ROOM_ID, ownerA.owner);

    expect(view).toEqual({
      id: ROOM_ID,
      owner_id: OWNER_A,
      visitor_name: 'Aziz',
      is_active: false,
      created_at: '2026-02-05T10:00:00.000Z',
      updated_at: '2026-02-05T11:05:00.000Z',
      ...NO_ACTIVITY,
    });
    expect(world.store.rooms.get(ROOM_ID)?.isActive).toBe(false);
  });

  it('forgets every socket of the room first (so no racing message is admitted), then tells it and disconnects it', async () => {
    await closeRoom(world, ROOM_ID, ownerA.owner);

    for (const id of ['visitor-1', 'owner-1']) {
      expect(world.gateway.framesTo(id)).toEqual([{ type: 'room.closed', room_id: ROOM_ID }]);
      const forgotten = world.timeline.indexOf(`store.removeConnection:${id}`);
      const told = world.timeline.indexOf(`gateway.send:${id}`);
      const disconnected = world.timeline.indexOf(`gateway.disconnect:${id}`);
      expect(forgotten).toBeGreaterThanOrEqual(0);
      expect(told).toBeGreaterThan(forgotten);
      expect(disconnected).toBeGreaterThan(told);
      expect(world.store.knowsConnection(id)).toBe(false);
    }
    expect(world.gateway.disconnected.sort()).toEqual(['owner-1', 'visitor-1']);
  });

  it("tells the owner's inbox the room was updated, and not other owners' inboxes", async () => {
    const view = await closeRoom(world, ROOM_ID, ownerA.owner);

    expect(world.gateway.framesTo('inbox-a')).toEqual([{ type: 'room.updated', room: view }]);
    expect(world.gateway.framesTo('inbox-b')).toEqual([]);
    expect(world.store.knowsConnection('inbox-a')).toBe(true);
  });

  it('leaves the sockets of other rooms alone', async () => {
    await closeRoom(world, ROOM_ID, ownerA.owner);

    expect(world.gateway.framesTo('elsewhere')).toEqual([]);
    expect(world.store.knowsConnection('elsewhere')).toBe(true);
  });

  it('still disconnects the other sockets when one post fails', async () => {
    world.gateway.failing.set('visitor-1', new Error('socket broke'));

    await closeRoom(world, ROOM_ID, ownerA.owner);

    expect(world.gateway.framesTo('owner-1')).toEqual([{ type: 'room.closed', room_id: ROOM_ID }]);
    expect(world.gateway.disconnected.sort()).toEqual(['owner-1', 'visitor-1']);
    expect(world.logger.find('broadcast_failed')).toHaveLength(1);
  });

  it('keeps the history readable after closing', async () => {
    seedMessages(2);

    await closeRoom(world, ROOM_ID, ownerA.owner);

    await expect(historyItems(world, ROOM_ID, visitor, {})).resolves.toHaveLength(2);
  });

  it('refuses the visitor: closing needs the owner JWT (401)', async () => {
    await expect(closeRoom(world, ROOM_ID, undefined)).rejects.toThrow(UnauthorizedError);
    expect(world.store.rooms.get(ROOM_ID)?.isActive).toBe(true);
  });

  it('refuses another owner with ForbiddenError and changes nothing', async () => {
    await expect(closeRoom(world, ROOM_ID, ownerB.owner)).rejects.toThrow(ForbiddenError);

    expect(world.store.rooms.get(ROOM_ID)?.isActive).toBe(true);
    expect(world.gateway.sent).toEqual([]);
    expect(world.gateway.disconnected).toEqual([]);
  });

  it('answers an unknown room with NotFoundError', async () => {
    await expect(closeRoom(world, UNKNOWN_UUID, ownerA.owner)).rejects.toThrow(NotFoundError);
  });

  it('answers a malformed room id with NotFoundError', async () => {
    await expect(closeRoom(world, 'nope', ownerA.owner)).rejects.toThrow(NotFoundError);
  });
});
