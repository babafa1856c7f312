import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { barrier, closeAll, framesOf, isBroadcast, sendAndEcho, waitForFrames, type Frame } from './support/chat.js';
import { MANY_ROOM_STARTS, useLocalStack } from './support/local-stack-fixture.js';
import type { TestSocket } from './support/ws-client.js';

/**
 * The $default path's rules end to end: a closed room stores nothing more, a full room
 * refuses, text is judged in code points, and every refusal is an error frame with a code
 * (and the frame's client_id).
 */
const MAX_MESSAGES_PER_ROOM = 25;
const local = useLocalStack({
  environment: {
    ...MANY_ROOM_STARTS,
    MAX_MESSAGES_PER_ROOM: String(MAX_MESSAGES_PER_ROOM),
    MESSAGES_PER_SECOND_PER_CONNECTION: '50',
  },
});

const answerTo = (socket: TestSocket, clientId: string) =>
  waitForFrames(socket, (frames) => frames.some((f) => f.client_id === clientId), `the answer to ${clientId}`).then(
    (frames) => frames.find((f) => f.client_id === clientId)!,
  );

describe('a room closed while messages arrive', () => {
  it('stores no message created after the close returned; the senders hear room_closed or are disconnected', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    // Three rooms, one flooding sender each, each flood under the room's message cap.
    const rooms = await Promise.all(Array.from({ length: 3 }, () => local.api.startChat(ownerId)));
    const senders = await Promise.all(rooms.map((room) => local.api.visitorSocket(room)));
    const flooding = senders.map(async (socket) => {
      for (let i = 0; i < 20 && socket.ws.readyState === socket.ws.OPEN; i += 1) {
        socket.ws.send(JSON.stringify({ message: `flood ${i}`, client_id: randomUUID() }));
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    });

    await new Promise((resolve) => setTimeout(resolve, 100));
    const responses = await Promise.all(rooms.map((room) => local.api.closeRoom(room.room_id, token)));
    const closedAt = Date.now();
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    await flooding;
    await Promise.all(senders.map((s) => s.closed));

    for (const [i, room] of rooms.entries()) {
      const history = await local.api.messages(room.room_id, { token });
      for (const message of history) expect(Date.parse(message.created_at)).toBeLessThanOrEqual(closedAt);
      // Every frame that was answered is either stored (its echo) or refused with room_closed.
      for (const frame of framesOf(senders[i]!)) {
        if (isBroadcast(frame)) expect(history.map((m) => m.id)).toContain(frame.id);
        else if (frame.type !== 'room.closed') expect(['room_closed', 'rate_limited']).toContain(frame.code);
      }
    }
  }, 60_000);
});

describe('a full room', () => {
  it('refuses the next message with room_full and stores nothing; a retry of a stored one is still answered', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const visitor = await local.api.visitorSocket(room);
    const owner = await local.api.ownerSocket(room.room_id, token);
    const first = randomUUID();

    await sendAndEcho(visitor, 'message 0', { client_id: first });
    for (let i = 1; i < MAX_MESSAGES_PER_ROOM; i += 1) await sendAndEcho(visitor, `message ${i}`);
    const overflow = randomUUID();
    owner.ws.send(JSON.stringify({ message: 'one too many', client_id: overflow }));
    expect(await answerTo(owner, overflow)).toEqual({
      error: expect.any(String),
      code: 'room_full',
      client_id: overflow,
    });

    // A retry of a message that was stored is not a new one: answered with its echo.
    const retried = await sendAndEcho(visitor, 'message 0', { client_id: first });
    expect(retried.client_id).toBe(first);

    const history = await local.api.messages(room.room_id, { token });
    expect(history.map((m) => m.content)).toEqual(
      Array.from({ length: MAX_MESSAGES_PER_ROOM }, (_, i) => `message ${i}`),
    );
    await closeAll([visitor, owner]);
  });
});

describe('text rules', () => {
  it('counts code points, refuses blank text, and answers each refusal with its code and client_id', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const visitor = await local.api.visitorSocket(room);

    // 2,001 emoji are 4,002 UTF-16 units but 2,001 characters: under the 4,000 limit.
    const emoji = '🚗'.repeat(2001);
    const accepted = await sendAndEcho(visitor, emoji);
    expect(accepted.message).toBe(emoji);

    const refusals: [Frame, string][] = [
      [{ message: '\u200B\u200B\u200B' }, 'blank_message'],
      [{ message: '\u0000\u0000' }, 'blank_message'],
      [{ message: ' \n\t\u3164' }, 'blank_message'],
      [{ message: '🚗'.repeat(4001) }, 'message_too_long'],
      [{ type: 'ping', message: 'x' }, 'invalid_frame'],
      [{ type: 'typing_stopped' }, 'invalid_frame'],
      [{ type: 'read' }, 'invalid_frame'],
      [{ type: 'typing', message: 'x' }, 'invalid_frame'],
      [{ type: 'chat', message: 'hi' }, 'invalid_frame'],
      [{ message: 42 }, 'invalid_frame'],
    ];
    for (const [frame, code] of refusals) {
      const clientId = randomUUID();
      visitor.ws.send(JSON.stringify({ ...frame, client_id: clientId }));
      expect(await answerTo(visitor, clientId), JSON.stringify(frame).slice(0, 60)).toEqual({
        error: expect.any(String),
        code,
        client_id: clientId,
      });
    }
    visitor.ws.send('not json');
    await barrier([visitor]);
    expect(framesOf(visitor).at(-1)).toEqual({ error: expect.any(String), code: 'invalid_frame' });

    expect((await local.api.messages(room.room_id, { token })).map((m) => m.content)).toEqual([emoji]);
    await closeAll([visitor]);
  });
});
