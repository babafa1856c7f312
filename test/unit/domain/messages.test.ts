import { parseFrame } from '../../../lambdas/handlers/ws/frames.js';
import { SETTINGS } from '../../../lambdas/config/settings-contract.js';
import { v5 as uuidv5 } from 'uuid';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { handleFrame, type MessageDeps } from '../../../lambdas/domain/messages.js';
import { REPEATED_REFUSALS } from '../../../lambdas/domain/ports.js';
import type { SenderType } from '../../../lambdas/domain/model.js';
import { makeWorld, OTHER_ROOM_ID, OWNER_A, OWNER_B, ROOM_ID, seedRoom, type World } from '../support/fixtures.js';

const NOW = '2026-02-05T11:00:00.000Z';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CLIENT_ID = '6b1e7a8c-9d0f-4a1b-8c2d-3e4f5a6b7c8d';

let world: World;
let deps: MessageDeps;

beforeEach(() => {
  world = makeWorld();
  seedRoom(world.store);
  deps = {
    ...world,
    maxMessageLength: SETTINGS.maxMessageLength.default,
    maxMessagesPerRoom: SETTINGS.maxMessagesPerRoom.default,
  };
});

const join = (connectionId: string, role: SenderType, roomId = ROOM_ID) =>
  world.store.saveConnection({ connectionId, identity: { kind: 'room', roomId, ownerId: OWNER_A, role } }, 0);
const openInbox = (connectionId: string, ownerId = OWNER_A) =>
  world.store.saveConnection({ connectionId, identity: { kind: 'inbox', ownerId, role: 'owner' } }, 0);
/** Sends a frame that arrives now (by the world's clock), or at `arrivedAtMs`. */
const send = (connectionId: string, frame: unknown, arrivedAtMs = world.clock.now().getTime()) =>
  handleFrame(deps, {
    connectionId,
    frame: parseFrame(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    arrivedAtMs,
  });

/** A visitor, the owner in the room, the owner's inbox, another owner's inbox and a socket of another room. */
async function fullRoom() {
  await join('visitor-1', 'visitor');
  await join('owner-1', 'owner');
  await openInbox('inbox-a');
  await openInbox('inbox-b', OWNER_B);
  await join('elsewhere', 'visitor', OTHER_ROOM_ID);
}

describe('handle frame', () => {
  describe('ping', () => {
    it('answers pong to the sender only, stores nothing, and counts against the socket limit', async () => {
      await fullRoom();
      const admit = vi.spyOn(world.store, 'admitFrame');

      await send('visitor-1', { type: 'ping' });

      expect(world.gateway.sent).toEqual([{ connectionId: 'visitor-1', payload: { type: 'pong' } }]);
      expect(admit).toHaveBeenCalledTimes(1);
      expect(world.store.messagesOf(ROOM_ID)).toEqual([]);
    });

    it('is refused as too many past the limit, like any frame', async () => {
      world = makeWorld({ messagesPerSecond: 2 });
      seedRoom(world.store);
      deps = { ...deps, ...world };
      await join('visitor-1', 'visitor');

      for (let i = 0; i < 3; i += 1) await send('visitor-1', { type: 'ping' });

      expect(world.gateway.framesTo('visitor-1')).toEqual([
        { type: 'pong' },
        { type: 'pong' },
        { error: expect.any(String), code: 'rate_limited' },
      ]);
    });

    it('with a message as well is refused, not taken as a ping', async () => {
      await fullRoom();

      await send('visitor-1', { type: 'ping', message: 'Salom', client_id: CLIENT_ID });

      expect(world.gateway.sent).toEqual([
        {
          connectionId: 'visitor-1',
          payload: { error: expect.any(String), code: 'invalid_frame', client_id: CLIENT_ID },
        },
      ]);
      expect(world.store.messagesOf(ROOM_ID)).toEqual([]);
    });
  });

  describe('invalid frames', () => {
    const cases: [string, string | undefined, string, string][] = [
      ['not JSON', 'Salom', 'Frame must be JSON.', 'invalid_frame'],
      ['an empty body', undefined, 'Frame must be JSON.', 'invalid_frame'],
      ['a JSON array', '[{"message":"Salom"}]', 'Frame must be a JSON object.', 'invalid_frame'],
      ['a JSON string', '"Salom"', 'Frame must be a JSON object.', 'invalid_frame'],
      ['JSON null', 'null', 'Frame must be a JSON object.', 'invalid_frame'],
      ['without a message field', '{"text":"Salom"}', 'Frame must have a "message" field.', 'invalid_frame'],
      [
        'of an unknown type',
        '{"type":"typing_stopped"}',
        expect.stringContaining('Unknown frame type'),
        'invalid_frame',
      ],
      [
        'of an unknown type with a message',
        '{"type":"chat","message":"Salom"}',
        expect.stringContaining('Unknown frame type'),
        'invalid_frame',
      ],
      ['with a number message', '{"message":42}', 'message must be a string.', 'invalid_frame'],
      ['with a null message', '{"message":null}', 'message must be a string.', 'invalid_frame'],
      ['with an object message', '{"message":{"text":"Salom"}}', 'message must be a string.', 'invalid_frame'],
      ['with an empty message', '{"message":""}', 'message must not be empty.', 'blank_message'],
      ['with a whitespace-only message', '{"message":" \\n\\t "}', 'message must not be empty.', 'blank_message'],
      ['with only zero-width spaces', '{"message":"\\u200b\\u200b"}', 'message must not be empty.', 'blank_message'],
      ['with only NULs', '{"message":"\\u0000\\u0000"}', 'message must not be empty.', 'blank_message'],
      [
        'with a message over the maximum length',
        JSON.stringify({ message: 'a'.repeat(SETTINGS.maxMessageLength.default + 1) }),
        `message must be at most ${SETTINGS.maxMessageLength.default} characters.`,
        'message_too_long',
      ],
      [
        'with a client_id that is not a UUID',
        '{"message":"Salom","client_id":"abc"}',
        'client_id must be a UUID.',
        'invalid_frame',
      ],
      ['with a numeric client_id', '{"message":"Salom","client_id":7}', 'client_id must be a UUID.', 'invalid_frame'],
      ['with a null client_id', '{"message":"Salom","client_id":null}', 'client_id must be a UUID.', 'invalid_frame'],
      ['with an empty client_id', '{"message":"Salom","client_id":""}', 'client_id must be a UUID.', 'invalid_frame'],
    ];

    it.each(cases)(
      'answers a frame %s with an error and its code to the sender only, and stores nothing',
      async (_case, body, reason, code) => {
        await fullRoom();
        const admit = vi.spyOn(world.store, 'admitFrame');

        await handleFrame(deps, { connectionId: 'visitor-1', frame: parseFrame(body), arrivedAtMs: 0 });

        expect(world.gateway.sent).toEqual([{ connectionId: 'visitor-1', payload: { error: reason, code } }]);
        expect(admit).toHaveBeenCalledTimes(1);
        expect(world.store.messagesOf(ROOM_ID)).toEqual([]);
      },
    );

    it('carries the client_id of a refused frame that had a valid one', async () => {
      await fullRoom();

      await send('visitor-1', { message: '\u200b', client_id: CLIENT_ID.toUpperCase() });

      expect(world.gateway.framesTo('visitor-1')).toEqual([
        { error: 'message must not be empty.', code: 'blank_message', client_id: CLIENT_ID },
      ]);
    });

    it('counts the length in code points: 2,001 emoji fit under 4,000', async () => {
      await fullRoom();

      await send('visitor-1', { message: '🚗'.repeat(2001) });

      expect(world.store.messagesOf(ROOM_ID)).toHaveLength(1);
    });

    it('accepts a message of exactly the maximum length', async () => {
      await fullRoom();

      await send('visitor-1', { message: 'a'.repeat(SETTINGS.maxMessageLength.default) });

      expect(world.store.messagesOf(ROOM_ID)).toHaveLength(1);
    });

    it('uses the configured maximum length', async () => {
      await fullRoom();
      deps = { ...deps, maxMessageLength: 5 };

      await send('visitor-1', { message: 'Salom!' });

      expect(world.gateway.framesTo('visitor-1')).toEqual([
        { error: 'message must be at most 5 characters.', code: 'message_too_long' },
      ]);
    });
  });

  describe('a valid message', () => {
    beforeEach(fullRoom);

    it('is stored before anything is broadcast', async () => {
      await send('visitor-1', { message: 'Salom' });

      const [stored] = world.store.messagesOf(ROOM_ID);
      const storedAt = world.timeline.indexOf(`store.putMessage:${stored?.id}`);
      const firstSend = world.timeline.findIndex((step) => step.startsWith('gateway.send:'));
      expect(storedAt).toBeGreaterThanOrEqual(0);
      expect(firstSend).toBeGreaterThan(storedAt);
    });

    it('is stored with the sender type of the connection and the time of the clock', async () => {
      await send('owner-1', { message: 'Keling' });

      expect(world.store.messagesOf(ROOM_ID)).toEqual([
        { id: expect.stringMatching(UUID), roomId: ROOM_ID, senderType: 'owner', content: 'Keling', createdAt: NOW },
      ]);
    });

    it('keeps the text as sent, surrounding whitespace included', async () => {
      await send('visitor-1', { message: '  Salom  ' });

      expect(world.store.messagesOf(ROOM_ID)[0]?.content).toBe('  Salom  ');
    });

    it('reaches every socket of the room, the sender included, with the same frame', async () => {
      await send('visitor-1', { message: 'Salom' });

      const [stored] = world.store.messagesOf(ROOM_ID);
      const expected = {
        id: stored?.id,
        room_id: ROOM_ID,
        sender_type: 'visitor',
        message: 'Salom',
        created_at: NOW,
      };
      expect(world.gateway.framesTo('visitor-1')).toStrictEqual([expected]);
      expect(world.gateway.framesTo('owner-1')).toStrictEqual([expected]);
    });

    it('carries exactly id, room_id, sender_type, message and created_at', async () => {
      await send('visitor-1', { message: 'Salom', extra: 'ignored' });

      const [frame] = world.gateway.framesTo('owner-1');
      expect(Object.keys(frame as object).sort()).toEqual(['created_at', 'id', 'message', 'room_id', 'sender_type']);
    });

    it('carries client_id, lower-cased, when the client gave one', async () => {
      await send('visitor-1', { message: 'Salom', client_id: CLIENT_ID.toUpperCase() });

      expect(world.gateway.framesTo('owner-1')).toEqual([expect.objectContaining({ client_id: CLIENT_ID })]);
      expect(world.store.messagesOf(ROOM_ID)[0]?.clientId).toBe(CLIENT_ID);
    });

    it("reaches the owner's inbox wrapped as a message event, and no other socket", async () => {
      await send('visitor-1', { message: 'Salom' });

      const [broadcast] = world.gateway.framesTo('visitor-1');
      expect(world.gateway.framesTo('inbox-a')).toEqual([{ type: 'message', message: broadcast }]);
      expect(world.gateway.recipients()).toEqual(['inbox-a', 'owner-1', 'visitor-1']);
    });

    it("moves the room's updated_at to the message time", async () => {
      world.clock.advance(90_000);

      await send('visitor-1', { message: 'Salom' });

      expect(world.store.rooms.get(ROOM_ID)?.updatedAt).toBe('2026-02-05T11:01:30.000Z');
    });

    it('gives each message its own id', async () => {
      await send('visitor-1', { message: 'one' });
      await send('visitor-1', { message: 'two' });

      const ids = world.store.messagesOf(ROOM_ID).map((m) => m.id);
      expect(new Set(ids).size).toBe(2);
    });

    it('forgets a socket the gateway reports gone, and not the sender', async () => {
      world.gateway.gone.add('owner-1');
      world.gateway.gone.add('inbox-a');

      await send('visitor-1', { message: 'Salom' });

      expect(world.store.knowsConnection('owner-1')).toBe(false);
      expect(world.store.knowsConnection('inbox-a')).toBe(false);
      expect(world.store.knowsConnection('visitor-1')).toBe(true);
      expect(world.gateway.framesTo('visitor-1')).toHaveLength(1);
    });

    it('still broadcasts when moving the room up the owner list fails', async () => {
      vi.spyOn(world.store, 'touchRoom').mockRejectedValue(new Error('ProvisionedThroughputExceededException'));

      await send('visitor-1', { message: 'Salom' });

      expect(world.store.messagesOf(ROOM_ID)).toHaveLength(1);
      expect(world.gateway.framesTo('owner-1')).toHaveLength(1);
      expect(world.gateway.framesTo('visitor-1')).toHaveLength(1);
      expect(world.logger.find('room_touch_failed')).toHaveLength(1);
    });

    it('logs a failed post and still delivers to the others and keeps the message', async () => {
      world.gateway.failing.set('owner-1', new Error('ECONNRESET'));

      await send('visitor-1', { message: 'Salom' });

      expect(world.store.messagesOf(ROOM_ID)).toHaveLength(1);
      expect(world.gateway.framesTo('visitor-1')).toHaveLength(1);
      expect(world.gateway.framesTo('inbox-a')).toHaveLength(1);
      expect(world.store.knowsConnection('owner-1')).toBe(true);
      expect(world.logger.find('broadcast_failed')).toEqual([
        { level: 'error', message: 'broadcast_failed', extra: { connectionId: 'owner-1', error: 'Error: ECONNRESET' } },
      ]);
    });

    it('never logs the message text', async () => {
      await send('visitor-1', { message: 'my phone is 998901234567' });

      expect(JSON.stringify(world.logger.entries)).not.toContain('998901234567');
    });
  });

  describe('a retried client_id', () => {
    beforeEach(fullRoom);

    it('stores one message, counts it once, and broadcasts and publishes the original again', async () => {
      await send('visitor-1', { message: 'Salom', client_id: CLIENT_ID });
      const original = world.gateway.framesTo('visitor-1')[0];
      world.clock.advance(2_000);

      await send('visitor-1', { message: 'Salom', client_id: CLIENT_ID });

      // The first broadcast may never have happened; clients drop an id they already show.
      expect(world.store.messagesOf(ROOM_ID)).toHaveLength(1);
      expect(world.store.messageCounts.get(ROOM_ID)).toBe(1);
      expect(world.gateway.framesTo('visitor-1')).toEqual([original, original]);
      expect(world.gateway.framesTo('owner-1')).toEqual([original, original]);
      expect(world.gateway.framesTo('inbox-a')).toEqual([
        { type: 'message', message: original },
        { type: 'message', message: original },
      ]);
      expect(world.events.published.map((e) => e.messageId)).toEqual([
        (original as { id: string }).id,
        (original as { id: string }).id,
      ]);
    });

    it('returns the original even when the retry carries other text', async () => {
      await send('visitor-1', { message: 'Salom', client_id: CLIENT_ID });

      await send('visitor-1', { message: 'Salom!!', client_id: CLIENT_ID });

      expect(world.gateway.framesTo('visitor-1')[1]).toMatchObject({ message: 'Salom' });
      expect(world.store.messagesOf(ROOM_ID).map((m) => m.content)).toEqual(['Salom']);
    });

    it('derives the message id from the client_id and the room', async () => {
      await send('visitor-1', { message: 'Salom', client_id: CLIENT_ID });

      expect(world.store.messagesOf(ROOM_ID)[0]?.id).toBe(uuidv5(CLIENT_ID, ROOM_ID));
    });

    it('is a new message in another room', async () => {
      seedRoom(world.store, { id: OTHER_ROOM_ID });
      await send('visitor-1', { message: 'Salom', client_id: CLIENT_ID });

      await send('elsewhere', { message: 'Salom', client_id: CLIENT_ID });

      expect(world.store.messagesOf(ROOM_ID)).toHaveLength(1);
      expect(world.store.messagesOf(OTHER_ROOM_ID)).toHaveLength(1);
    });

    it('sent twice at the same time stores and counts one message, broadcast with one id', async () => {
      await Promise.all([
        send('visitor-1', { message: 'Salom', client_id: CLIENT_ID }),
        send('visitor-1', { message: 'Salom', client_id: CLIENT_ID }),
      ]);

      expect(world.store.messagesOf(ROOM_ID)).toHaveLength(1);
      expect(world.store.messageCounts.get(ROOM_ID)).toBe(1);
      const [first, second] = world.gateway.framesTo('owner-1');
      expect(second).toEqual(first);
      expect(world.gateway.framesTo('visitor-1')).toEqual([first, first]);
    });
  });

  describe('refusals after parsing', () => {
    it('answers a rate-limited sender with an error and stores nothing more', async () => {
      world = makeWorld({ messagesPerSecond: 2 });
      seedRoom(world.store);
      deps = { ...deps, ...world, maxMessageLength: 100 };
      await join('visitor-1', 'visitor');
      await join('owner-1', 'owner');

      await send('visitor-1', { message: 'one' });
      await send('visitor-1', { message: 'two' });
      await send('visitor-1', { message: 'three' });

      expect(world.store.messagesOf(ROOM_ID).map((m) => m.content)).toEqual(['one', 'two']);
      expect(world.gateway.framesTo('visitor-1').at(-1)).toEqual({
        error: expect.stringMatching(/too many/i),
        code: 'rate_limited',
      });
      expect(world.gateway.disconnected).toEqual([]);
      expect(world.gateway.framesTo('owner-1')).toHaveLength(2);
    });

    it('admits the sender again after the window has passed', async () => {
      world = makeWorld({ messagesPerSecond: 1 });
      seedRoom(world.store);
      deps = { ...deps, ...world, maxMessageLength: 100 };
      await join('visitor-1', 'visitor');
      await send('visitor-1', { message: 'one' });

      world.clock.advance(1_000);
      await send('visitor-1', { message: 'two' });

      expect(world.store.messagesOf(ROOM_ID)).toHaveLength(2);
    });

    it('answers an unknown connection (its room was closed) with room_closed, disconnects it and stores nothing', async () => {
      await send('stranger', { message: 'Salom', client_id: CLIENT_ID });

      expect(world.gateway.sent).toEqual([
        { connectionId: 'stranger', payload: { error: expect.any(String), code: 'room_closed', client_id: CLIENT_ID } },
      ]);
      expect(world.gateway.disconnected).toEqual(['stranger']);
      expect(world.store.messages.size).toBe(0);
    });

    it('answers an inbox socket that sends with an error and stores nothing', async () => {
      await fullRoom();

      await send('inbox-a', { message: 'Salom' });

      expect(world.gateway.sent).toEqual([
        {
          connectionId: 'inbox-a',
          payload: { error: 'The inbox socket only receives; send in a room.', code: 'inbox_receives_only' },
        },
      ]);
      expect(world.store.messagesOf(ROOM_ID)).toEqual([]);
    });

    it('does not fail when the refused sender is already gone', async () => {
      world.gateway.gone.add('stranger');

      await expect(send('stranger', { message: 'Salom' })).resolves.toBeUndefined();
      expect(world.logger.find('sender_gone')).toHaveLength(1);
    });
  });

  describe('the rate window', () => {
    beforeEach(() => {
      world = makeWorld({ messagesPerSecond: 5 });
      seedRoom(world.store);
      deps = { ...deps, ...world };
    });

    it('counts frames by their arrival: frames that arrived 500 ms apart and are handled at once are all admitted', async () => {
      await join('visitor-1', 'visitor');
      const arrived = world.clock.now().getTime();
      // A 10 s stall: the frames are handled together, long after they arrived.
      world.clock.advance(10_000);

      for (let i = 0; i < 20; i += 1) await send('visitor-1', { message: `steady ${i}` }, arrived + i * 500);

      expect(world.store.messagesOf(ROOM_ID)).toHaveLength(20);
      expect(world.gateway.framesTo('visitor-1').filter((f) => (f as { code?: string }).code)).toEqual([]);
    });

    it('refuses frames that arrived within one second past the limit, however late they are handled', async () => {
      await join('visitor-1', 'visitor');
      const arrived = world.clock.now().getTime();

      for (let i = 0; i < 6; i += 1) {
        world.clock.advance(1_000);
        await send('visitor-1', { message: `burst ${i}` }, arrived + i * 10);
      }

      expect(world.store.messagesOf(ROOM_ID)).toHaveLength(5);
      expect(world.gateway.framesTo('visitor-1').at(-1)).toMatchObject({ code: 'rate_limited' });
    });

    it('disconnects a socket that keeps sending after being told, and only then', async () => {
      await join('visitor-1', 'visitor');
      const start = world.clock.now().getTime();
      const flood = 5 + REPEATED_REFUSALS.count;

      for (let i = 0; i < flood - 1; i += 1) await send('visitor-1', { type: 'ping' }, start + i);
      expect(world.gateway.disconnected).toEqual([]);
      await send('visitor-1', { type: 'ping' }, start + flood);

      expect(world.gateway.disconnected).toEqual(['visitor-1']);
      expect(world.gateway.framesTo('visitor-1').at(-1)).toMatchObject({ code: 'rate_limited' });
      expect(world.logger.find('socket_flooding')).toHaveLength(1);
    });

    it('forgives refusals spread wider than the window', async () => {
      await join('visitor-1', 'visitor');
      let at = world.clock.now().getTime();

      // Each second: 5 admitted, one refused; never the refusal count within the window.
      for (let second = 0; second < REPEATED_REFUSALS.count + 2; second += 1) {
        for (let i = 0; i < 6; i += 1) await send('visitor-1', { type: 'ping' }, at + i);
        at += REPEATED_REFUSALS.withinMs / (REPEATED_REFUSALS.count - 2);
      }

      expect(world.gateway.disconnected).toEqual([]);
    });
  });

  describe('a closed room', () => {
    beforeEach(fullRoom);

    it('stores nothing when the room closes between the admission and the write, and the sender is told and disconnected', async () => {
      const admit = world.store.admitFrame.bind(world.store);
      vi.spyOn(world.store, 'admitFrame').mockImplementation(async (...args) => {
        const admission = await admit(...args);
        await world.store.closeRoom(ROOM_ID, NOW);
        return admission;
      });

      await send('visitor-1', { message: 'too late', client_id: CLIENT_ID });

      expect(world.store.messagesOf(ROOM_ID)).toEqual([]);
      expect(world.gateway.sent).toEqual([
        {
          connectionId: 'visitor-1',
          payload: { error: expect.any(String), code: 'room_closed', client_id: CLIENT_ID },
        },
      ]);
      expect(world.gateway.disconnected).toEqual(['visitor-1']);
      expect(world.events.published).toEqual([]);
    });

    it('answers a retry of a message stored before the close with its echo', async () => {
      await send('visitor-1', { message: 'Salom', client_id: CLIENT_ID });
      const [original] = world.gateway.framesTo('visitor-1');
      await world.store.closeRoom(ROOM_ID, NOW);

      await send('visitor-1', { message: 'Salom', client_id: CLIENT_ID });

      expect(world.gateway.framesTo('visitor-1')).toEqual([original, original]);
      expect(world.store.messagesOf(ROOM_ID)).toHaveLength(1);
    });
  });

  describe('a full room', () => {
    beforeEach(async () => {
      await fullRoom();
      deps = { ...deps, maxMessagesPerRoom: 2 };
    });

    it('refuses the message past the maximum with room_full and stores nothing; the socket stays', async () => {
      await send('visitor-1', { message: 'one' });
      await send('owner-1', { message: 'two' });

      await send('visitor-1', { message: 'three', client_id: CLIENT_ID });

      expect(world.store.messagesOf(ROOM_ID).map((m) => m.content)).toEqual(['one', 'two']);
      expect(world.gateway.framesTo('visitor-1').at(-1)).toEqual({
        error: expect.any(String),
        code: 'room_full',
        client_id: CLIENT_ID,
      });
      expect(world.gateway.framesTo('owner-1')).toHaveLength(2);
      expect(world.gateway.disconnected).toEqual([]);
    });

    it('does not count a retried client_id again', async () => {
      await send('visitor-1', { message: 'one', client_id: CLIENT_ID });
      await send('visitor-1', { message: 'one', client_id: CLIENT_ID });
      world.clock.advance(1_000);

      await send('visitor-1', { message: 'two' });

      expect(world.store.messagesOf(ROOM_ID).map((m) => m.content)).toEqual(['one', 'two']);
    });
  });

  describe('failures', () => {
    beforeEach(fullRoom);

    it('answers internal with the client_id when the message write fails, and takes back its count', async () => {
      vi.spyOn(world.store, 'putMessage').mockRejectedValueOnce(new Error('InternalServerError'));

      await send('visitor-1', { message: 'Salom', client_id: CLIENT_ID });

      expect(world.gateway.sent).toEqual([
        { connectionId: 'visitor-1', payload: { error: expect.any(String), code: 'internal', client_id: CLIENT_ID } },
      ]);
      expect(world.store.messageCounts.get(ROOM_ID) ?? 0).toBe(0);
      expect(world.logger.find('frame_failed')).toEqual([
        {
          level: 'error',
          message: 'frame_failed',
          extra: { connectionId: 'visitor-1', error: 'Error: InternalServerError' },
        },
      ]);
    });

    it('answers internal when the admission fails', async () => {
      vi.spyOn(world.store, 'admitFrame').mockRejectedValueOnce(new Error('ServiceUnavailable'));

      await send('visitor-1', { type: 'ping' });

      expect(world.gateway.sent).toEqual([
        { connectionId: 'visitor-1', payload: { error: expect.any(String), code: 'internal' } },
      ]);
    });

    it('when the message is stored and the socket query fails: the sender hears internal, the retry reaches everybody', async () => {
      vi.spyOn(world.store, 'listRoomConnections').mockRejectedValueOnce(new Error('InternalServerError'));

      await send('visitor-1', { message: 'Salom', client_id: CLIENT_ID });

      expect(world.store.messagesOf(ROOM_ID)).toHaveLength(1);
      expect(world.gateway.sent).toEqual([
        { connectionId: 'visitor-1', payload: { error: expect.any(String), code: 'internal', client_id: CLIENT_ID } },
      ]);
      expect(world.events.published).toEqual([]);

      await send('visitor-1', { message: 'Salom', client_id: CLIENT_ID });

      const [stored] = world.store.messagesOf(ROOM_ID);
      expect(world.gateway.framesTo('owner-1')).toEqual([
        expect.objectContaining({ id: stored?.id, client_id: CLIENT_ID }),
      ]);
      expect(world.gateway.framesTo('inbox-a')).toEqual([
        { type: 'message', message: expect.objectContaining({ id: stored?.id }) },
      ]);
      expect(world.events.published.map((e) => e.messageId)).toEqual([stored?.id]);
      expect(world.store.messagesOf(ROOM_ID)).toHaveLength(1);
      expect(world.store.messageCounts.get(ROOM_ID)).toBe(1);
    });

    it('rethrows when even the error frame cannot be posted, so the platform answers', async () => {
      vi.spyOn(world.store, 'admitFrame').mockRejectedValueOnce(new Error('down'));
      world.gateway.failing.set('visitor-1', new Error('ECONNRESET'));

      await expect(send('visitor-1', { type: 'ping' })).rejects.toThrow('ECONNRESET');
    });
  });

  describe('push event for offline owners', () => {
    it('is published for a visitor message with a 100-character preview', async () => {
      await fullRoom();
      const text = `${'x'.repeat(100)}${'y'.repeat(50)}`;

      await send('visitor-1', { message: text });

      const [stored] = world.store.messagesOf(ROOM_ID);
      expect(world.events.published).toEqual([
        {
          roomId: ROOM_ID,
          ownerId: OWNER_A,
          messageId: stored?.id,
          preview: 'x'.repeat(100),
          ownerOnline: true,
          createdAt: NOW,
          unreadCount: 1,
        },
      ]);
    });

    it('carries a short message whole as the preview', async () => {
      await join('visitor-1', 'visitor');

      await send('visitor-1', { message: 'Salom' });

      expect(world.events.published[0]?.preview).toBe('Salom');
    });

    it('cuts the preview by characters, never inside a surrogate pair', async () => {
      await join('visitor-1', 'visitor');

      await send('visitor-1', { message: '🚗'.repeat(150) });

      expect(world.events.published[0]?.preview).toBe('🚗'.repeat(100));
    });

    it('is not published for an owner message', async () => {
      await fullRoom();

      await send('owner-1', { message: 'Keling' });

      expect(world.events.published).toEqual([]);
    });

    it('says the owner is offline when neither an owner socket nor an inbox is connected', async () => {
      await join('visitor-1', 'visitor');
      await openInbox('inbox-b', OWNER_B);

      await send('visitor-1', { message: 'Salom' });

      expect(world.events.published[0]?.ownerOnline).toBe(false);
    });

    it('says the owner is online when only the inbox is connected', async () => {
      await join('visitor-1', 'visitor');
      await openInbox('inbox-a');

      await send('visitor-1', { message: 'Salom' });

      expect(world.events.published[0]?.ownerOnline).toBe(true);
    });

    it('says the owner is online when only an owner socket of the room is connected', async () => {
      await join('visitor-1', 'visitor');
      await join('owner-1', 'owner');

      await send('visitor-1', { message: 'Salom' });

      expect(world.events.published[0]?.ownerOnline).toBe(true);
    });

    it('says the owner is offline when the owner sockets the table lists are gone (missed $disconnect)', async () => {
      await join('visitor-1', 'visitor');
      await join('owner-1', 'owner');
      await openInbox('inbox-a');
      world.gateway.gone.add('owner-1');
      world.gateway.gone.add('inbox-a');

      await send('visitor-1', { message: 'Salom' });

      expect(world.events.published[0]?.ownerOnline).toBe(false);
    });

    it('says the owner is offline when every post to an owner socket failed', async () => {
      await join('visitor-1', 'visitor');
      await join('owner-1', 'owner');
      world.gateway.failing.set('owner-1', new Error('ECONNRESET'));

      await send('visitor-1', { message: 'Salom' });

      expect(world.events.published[0]?.ownerOnline).toBe(false);
    });

    it('is published after the broadcast', async () => {
      await fullRoom();
      const publish = vi.spyOn(world.events, 'visitorMessagePosted').mockImplementation(async (event) => {
        world.timeline.push('events.publish');
        world.events.published.push(event);
      });

      await send('visitor-1', { message: 'Salom' });

      expect(publish).toHaveBeenCalledTimes(1);
      const lastSend = world.timeline.findLastIndex((step) => step.startsWith('gateway.send:'));
      expect(world.timeline.indexOf('events.publish')).toBeGreaterThan(lastSend);
    });

    it('is logged when publishing fails, and the message is still stored and delivered', async () => {
      await fullRoom();
      world.events.failWith = new Error('EventBridge down');

      await send('visitor-1', { message: 'Salom' });

      const [stored] = world.store.messagesOf(ROOM_ID);
      expect(stored?.content).toBe('Salom');
      expect(world.gateway.framesTo('owner-1')).toHaveLength(1);
      expect(world.logger.find('push_event_failed')).toEqual([
        {
          level: 'error',
          message: 'push_event_failed',
          extra: { roomId: ROOM_ID, messageId: stored?.id, error: 'Error: EventBridge down' },
        },
      ]);
    });

    it('is skipped without a publisher, and the message is still delivered', async () => {
      await fullRoom();
      const { events: _unused, ...withoutEvents } = deps;
      deps = withoutEvents;

      await send('visitor-1', { message: 'Salom' });

      expect(world.gateway.framesTo('owner-1')).toHaveLength(1);
      expect(world.events.published).toEqual([]);
    });
  });
});

describe('metrics of a frame', () => {
  beforeEach(fullRoom);

  it('counts a stored message and each post of its broadcast', async () => {
    await send('visitor-1', { message: 'Salom' });

    // visitor-1 and owner-1 in the room, inbox-a of the room's owner.
    expect(world.metrics.counts).toEqual({ MessagesStored: 1, PostsSent: 3 });
  });

  it('does not count a retried client_id as stored again, and counts its posts', async () => {
    await send('visitor-1', { message: 'Salom', client_id: CLIENT_ID });
    await send('visitor-1', { message: 'Salom', client_id: CLIENT_ID });

    expect(world.metrics.counts).toEqual({ MessagesStored: 1, PostsSent: 6 });
  });

  it('counts a post to a gone socket and a failed post apart from the sent ones', async () => {
    world.gateway.gone.add('owner-1');
    world.gateway.failing.set('inbox-a', new Error('ECONNRESET'));

    await send('visitor-1', { message: 'Salom' });

    expect(world.metrics.counts).toEqual({ MessagesStored: 1, PostsSent: 1, PostsGone: 1, PostsFailed: 1 });
  });

  it('counts a frame refused by the rate limit, and nothing stored', async () => {
    world = makeWorld({ messagesPerSecond: 1 });
    seedRoom(world.store);
    deps = { ...deps, ...world };
    await join('visitor-1', 'visitor');

    await send('visitor-1', { type: 'ping' });
    await send('visitor-1', { message: 'one' });

    expect(world.metrics.counts).toEqual({ FramesRateLimited: 1 });
  });

  it('counts a message refused by a full room', async () => {
    deps = { ...deps, maxMessagesPerRoom: 1 };
    await send('visitor-1', { message: 'one' });

    await send('visitor-1', { message: 'two' });

    expect(world.metrics.counts).toMatchObject({ MessagesStored: 1, MessagesRefusedRoomFull: 1 });
  });

  it('counts a frame answered internal', async () => {
    vi.spyOn(world.store, 'putMessage').mockRejectedValueOnce(new Error('InternalServerError'));

    await send('visitor-1', { message: 'Salom' });

    expect(world.metrics.counts).toEqual({ FramesAnsweredInternal: 1 });
  });

  it('counts a push event that could not be published', async () => {
    world.events.failWith = new Error('EventBridge down');

    await send('visitor-1', { message: 'Salom' });

    expect(world.metrics.counts).toMatchObject({ MessagesStored: 1, PushEventsFailed: 1 });
  });
});
