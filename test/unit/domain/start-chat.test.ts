import { parseJsonObject } from '../../../lambdas/handlers/http/parse.js';
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { TooManyRequestsError, ValidationError } from '../../../lambdas/domain/errors.js';
import { startChat, type StartChatDeps } from '../../../lambdas/domain/start-chat.js';
import { makeWorld, OWNER_A, OWNER_B, type World } from '../support/fixtures.js';
import { NO_ACTIVITY } from '../support/fixtures.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('start chat', () => {
  let world: World;
  let deps: StartChatDeps;

  beforeEach(() => {
    world = makeWorld({ startsPerMinute: 3 });
    deps = { ...world, wsUrlFor: (roomId) => `wss://chat.example.com/ws/chat/${roomId}/` };
  });

  /** Starts a chat from a request body, read by the transport's parser as the handler does. */
  const start = async (body: unknown, sourceIp?: string) => {
    const fields = parseJsonObject(typeof body === 'string' ? body : JSON.stringify(body));
    return startChat(deps, { userId: fields.user_id, visitorName: fields.visitor_name, sourceIp });
  };

  it('returns room_id, visitor_token, ws_path and ws_url for the new room', async () => {
    const result = await start({ user_id: OWNER_A, visitor_name: 'Aziz' });

    expect(Object.keys(result).sort()).toEqual(['room_id', 'visitor_token', 'ws_path', 'ws_url']);
    expect(result.room_id).toMatch(UUID);
    expect(result.visitor_token).toMatch(UUID);
    expect(result.visitor_token).not.toBe(result.room_id);
    expect(result.ws_path).toBe(`/ws/chat/${result.room_id}/`);
    expect(result.ws_url).toBe(`wss://chat.example.com/ws/chat/${result.room_id}/`);
  });

  it('stores an active room of the owner with created_at and updated_at from the clock', async () => {
    const { room_id } = await start({ user_id: OWNER_A, visitor_name: 'Aziz' });

    const room = world.store.rooms.get(room_id);
    expect(room).toMatchObject({
      id: room_id,
      ownerId: OWNER_A,
      visitorName: 'Aziz',
      isActive: true,
      createdAt: '2026-02-05T11:00:00.000Z',
      updatedAt: '2026-02-05T11:00:00.000Z',
    });
  });

  it('gives every start a fresh room and a fresh visitor token', async () => {
    const first = await start({ user_id: OWNER_A });
    const second = await start({ user_id: OWNER_A });

    expect(second.room_id).not.toBe(first.room_id);
    expect(second.visitor_token).not.toBe(first.visitor_token);
  });

  it('stores the visitor token only as its SHA-256 hash', async () => {
    const { room_id, visitor_token } = await start({ user_id: OWNER_A });

    const room = world.store.rooms.get(room_id);
    expect(room?.visitorTokenHash).toBe(createHash('sha256').update(visitor_token).digest('hex'));
    expect(JSON.stringify([...world.store.rooms.values()])).not.toContain(visitor_token);
  });

  it('lower-cases an upper-case user_id', async () => {
    const { room_id } = await start({ user_id: OWNER_A.toUpperCase() });

    expect(world.store.rooms.get(room_id)?.ownerId).toBe(OWNER_A);
  });

  describe('user_id', () => {
    it.each([
      ['missing', {}],
      ['not a UUID', { user_id: 'not-a-uuid' }],
      ['a number', { user_id: 42 }],
      ['a UUID with trailing text', { user_id: `${OWNER_A}x` }],
    ])('rejects a user_id that is %s with a ValidationError', async (_case, body) => {
      await expect(start(body)).rejects.toThrow(new ValidationError('user_id must be a UUID.'));
      expect(world.store.rooms.size).toBe(0);
    });
  });

  describe('visitor_name', () => {
    it('is optional and then stored as the empty string', async () => {
      const { room_id } = await start({ user_id: OWNER_A });

      expect(world.store.rooms.get(room_id)?.visitorName).toBe('');
    });

    it('treats null like a missing name', async () => {
      const { room_id } = await start({ user_id: OWNER_A, visitor_name: null });

      expect(world.store.rooms.get(room_id)?.visitorName).toBe('');
    });

    it('is trimmed', async () => {
      const { room_id } = await start({ user_id: OWNER_A, visitor_name: '  Aziz  ' });

      expect(world.store.rooms.get(room_id)?.visitorName).toBe('Aziz');
    });

    it('accepts exactly 100 characters', async () => {
      const { room_id } = await start({ user_id: OWNER_A, visitor_name: 'a'.repeat(100) });

      expect(world.store.rooms.get(room_id)?.visitorName).toHaveLength(100);
    });

    it('counts the length after trimming', async () => {
      const { room_id } = await start({ user_id: OWNER_A, visitor_name: ` ${'a'.repeat(100)} ` });

      expect(world.store.rooms.get(room_id)?.visitorName).toBe('a'.repeat(100));
    });

    it('rejects 101 characters with a ValidationError', async () => {
      await expect(start({ user_id: OWNER_A, visitor_name: 'a'.repeat(101) })).rejects.toThrow(ValidationError);
      expect(world.store.rooms.size).toBe(0);
    });

    it('counts code points: 60 emoji (120 UTF-16 units) are a name, 101 code points are not', async () => {
      const { room_id } = await start({ user_id: OWNER_A, visitor_name: '🚗'.repeat(60) });
      expect(world.store.rooms.get(room_id)?.visitorName).toBe('🚗'.repeat(60));

      await expect(start({ user_id: OWNER_A, visitor_name: '🚗'.repeat(101) })).rejects.toThrow(
        new ValidationError('visitor_name must be at most 100 characters.'),
      );
    });

    it.each([
      ['zero-width spaces', '\u200b\u200b\u200b'],
      ['a NUL and a BOM', '\u0000\ufeff'],
      ['a Hangul filler between spaces', ' \u3164 '],
    ])('stores a name of only invisible characters (%s) as no name, ""', async (_case, name) => {
      const { room_id } = await start({ user_id: OWNER_A, visitor_name: name });

      expect(world.store.rooms.get(room_id)?.visitorName).toBe('');
    });

    it.each([
      ['a number', 7],
      ['an object', { first: 'Aziz' }],
      ['an array', ['Aziz']],
      ['a boolean', true],
    ])('rejects a visitor_name that is %s with a ValidationError', async (_case, visitorName) => {
      await expect(start({ user_id: OWNER_A, visitor_name: visitorName })).rejects.toThrow(
        new ValidationError('visitor_name must be a string.'),
      );
    });
  });

  describe('body', () => {
    it.each([
      ['not JSON', '{"user_id": '],
      ['a JSON array', JSON.stringify([{ user_id: OWNER_A }])],
      ['a JSON string', JSON.stringify(OWNER_A)],
      ['JSON null', 'null'],
      ['empty', ''],
      ['only whitespace', '   '],
    ])('rejects a body that is %s with a ValidationError', async (_case, body) => {
      await expect(start(body)).rejects.toThrow(ValidationError);
      expect(world.store.rooms.size).toBe(0);
    });

    it('rejects a missing body with a ValidationError', async () => {
      await expect(start(undefined)).rejects.toThrow(ValidationError);
    });
  });

  describe('per-address limit', () => {
    it('refuses the start over the limit with TooManyRequestsError and creates no room', async () => {
      for (let i = 0; i < 3; i += 1) await start({ user_id: OWNER_A }, '203.0.113.7');

      await expect(start({ user_id: OWNER_A }, '203.0.113.7')).rejects.toThrow(TooManyRequestsError);
      expect(world.store.rooms.size).toBe(3);
      expect(world.metrics.counts).toEqual({ RoomStartsLimitedPerAddress: 1 });
    });

    it('counts each address on its own', async () => {
      for (let i = 0; i < 3; i += 1) await start({ user_id: OWNER_A }, '203.0.113.7');

      await expect(start({ user_id: OWNER_A }, '198.51.100.1')).resolves.toHaveProperty('room_id');
    });

    it('admits the address again once the minute has passed', async () => {
      for (let i = 0; i < 3; i += 1) await start({ user_id: OWNER_A }, '203.0.113.7');
      world.clock.advance(60_001);

      await expect(start({ user_id: OWNER_A }, '203.0.113.7')).resolves.toHaveProperty('room_id');
    });

    it('does not count a request that fails validation', async () => {
      for (let i = 0; i < 5; i += 1) await start({ user_id: 'bad' }, '203.0.113.7').catch(() => undefined);

      await expect(start({ user_id: OWNER_A }, '203.0.113.7')).resolves.toHaveProperty('room_id');
    });

    it('counts an IPv6 address by its /64: two addresses of one /64 share the limit', async () => {
      for (let i = 1; i <= 3; i += 1) await start({ user_id: OWNER_A }, `2001:db8:aa:bb::${i}`);

      const refused = await start({ user_id: OWNER_A }, '2001:DB8:AA:BB:FFFF:1:2:3').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TooManyRequestsError);
      expect((refused as TooManyRequestsError).retryAfterSeconds).toBe(60);
      await expect(start({ user_id: OWNER_A }, '2001:db8:aa:bc::1')).resolves.toHaveProperty('room_id');
    });

    it('is skipped when the source address is unknown', async () => {
      for (let i = 0; i < 5; i += 1) await start({ user_id: OWNER_A });

      expect(world.store.rooms.size).toBe(5);
      expect(world.store.roomStarts.size).toBe(0);
    });
  });

  describe('owner inbox', () => {
    it('tells the inbox connections of the owner about the new room, and no one else', async () => {
      await world.store.saveConnection(
        { connectionId: 'inbox-a1', identity: { kind: 'inbox', ownerId: OWNER_A, role: 'owner' } },
        0,
      );
      await world.store.saveConnection(
        { connectionId: 'inbox-a2', identity: { kind: 'inbox', ownerId: OWNER_A, role: 'owner' } },
        0,
      );
      await world.store.saveConnection(
        { connectionId: 'inbox-b', identity: { kind: 'inbox', ownerId: OWNER_B, role: 'owner' } },
        0,
      );

      const { room_id } = await start({ user_id: OWNER_A, visitor_name: 'Aziz' });

      const expected = {
        type: 'room.created',
        room: {
          id: room_id,
          owner_id: OWNER_A,
          visitor_name: 'Aziz',
          is_active: true,
          created_at: '2026-02-05T11:00:00.000Z',
          updated_at: '2026-02-05T11:00:00.000Z',
          ...NO_ACTIVITY,
        },
      };
      expect(world.gateway.framesTo('inbox-a1')).toEqual([expected]);
      expect(world.gateway.framesTo('inbox-a2')).toEqual([expected]);
      expect(world.gateway.framesTo('inbox-b')).toEqual([]);
    });

    it('never sends the visitor token or its hash to the inbox', async () => {
      await world.store.saveConnection(
        { connectionId: 'inbox-a1', identity: { kind: 'inbox', ownerId: OWNER_A, role: 'owner' } },
        0,
      );

      const { room_id, visitor_token } = await start({ user_id: OWNER_A });

      const frame = JSON.stringify(world.gateway.framesTo('inbox-a1'));
      expect(frame).not.toContain(visitor_token);
      expect(frame).not.toContain(world.store.rooms.get(room_id)?.visitorTokenHash);
    });

    it('still starts the chat when listing the inbox fails, and logs a warning', async () => {
      vi.spyOn(world.store, 'listInboxConnections').mockRejectedValue(new Error('throttled'));

      const result = await start({ user_id: OWNER_A });

      expect(world.store.rooms.has(result.room_id)).toBe(true);
      expect(world.logger.find('inbox_notify_failed')).toEqual([
        { level: 'warn', message: 'inbox_notify_failed', extra: { roomId: result.room_id, error: 'Error: throttled' } },
      ]);
    });

    it('still starts the chat when a push to an inbox connection fails', async () => {
      await world.store.saveConnection(
        { connectionId: 'inbox-a1', identity: { kind: 'inbox', ownerId: OWNER_A, role: 'owner' } },
        0,
      );
      await world.store.saveConnection(
        { connectionId: 'inbox-a2', identity: { kind: 'inbox', ownerId: OWNER_A, role: 'owner' } },
        0,
      );
      world.gateway.failing.set('inbox-a1', new Error('socket broke'));

      const result = await start({ user_id: OWNER_A });

      expect(result.room_id).toMatch(UUID);
      expect(world.gateway.framesTo('inbox-a2')).toHaveLength(1);
      expect(world.logger.find('broadcast_failed')).toHaveLength(1);
    });

    it('forgets an inbox connection that is gone', async () => {
      await world.store.saveConnection(
        { connectionId: 'inbox-a1', identity: { kind: 'inbox', ownerId: OWNER_A, role: 'owner' } },
        0,
      );
      world.gateway.gone.add('inbox-a1');

      await start({ user_id: OWNER_A });

      expect(world.store.knowsConnection('inbox-a1')).toBe(false);
    });
  });

  it('never logs the visitor token', async () => {
    const { visitor_token } = await start({ user_id: OWNER_A });

    expect(JSON.stringify(world.logger.entries)).not.toContain(visitor_token);
  });

  describe('per-owner hourly limit', () => {
    beforeEach(() => {
      world = makeWorld({ startsPerMinute: 100, startsPerHourPerOwner: 2 });
      deps = { ...world, wsUrlFor: (roomId) => `wss://chat.example.com/ws/chat/${roomId}/` };
    });

    it("refuses the owner's start over the limit, from any address, with a Retry-After of the hour and no room", async () => {
      await start({ user_id: OWNER_A }, '203.0.113.1');
      await start({ user_id: OWNER_A }, '203.0.113.2');

      const refused = await start({ user_id: OWNER_A }, '203.0.113.3').catch((e: unknown) => e);

      expect(refused).toBeInstanceOf(TooManyRequestsError);
      expect((refused as TooManyRequestsError).message).toMatch(/owner/);
      expect((refused as TooManyRequestsError).retryAfterSeconds).toBe(3600);
      expect(world.store.rooms.size).toBe(2);
      expect(world.metrics.counts).toEqual({ RoomStartsLimitedPerOwner: 1 });
      // Another owner is not affected; the owner is admitted again an hour later.
      await expect(start({ user_id: OWNER_B }, '203.0.113.3')).resolves.toHaveProperty('room_id');
      world.clock.advance(3_600_001);
      await expect(start({ user_id: OWNER_A }, '203.0.113.3')).resolves.toHaveProperty('room_id');
    });

    it('applies without a known source address too', async () => {
      await start({ user_id: OWNER_A });
      await start({ user_id: OWNER_A });

      await expect(start({ user_id: OWNER_A })).rejects.toThrow(TooManyRequestsError);
    });
  });
});
