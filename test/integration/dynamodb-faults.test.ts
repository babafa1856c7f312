import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  barrier,
  broadcastOf,
  closeAll,
  framesOf,
  putEventsEntries,
  sendAndEcho,
  waitForFrames,
  type Frame,
} from './support/chat.js';
import { useLocalStack } from './support/local-stack-fixture.js';

/**
 * DynamoDB failing or stalling under the message path, through a fault proxy between the
 * local stack and the suite's DynamoDB: the sender always hears an answer, a retry with the
 * same client_id reaches everybody without storing twice, and a stall does not turn normal
 * senders into "too many" ones.
 */
const local = useLocalStack({ dynamoDbFaults: true });

const errorFor = (clientId: string) => (frames: Frame[]) =>
  frames.some((f) => f.code !== undefined && f.client_id === clientId);

describe('DynamoDB unavailable', () => {
  it('answers every message with an internal error carrying its client_id; retried later, each is stored once', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const visitor = await local.api.visitorSocket(room);
    const clientIds = [randomUUID(), randomUUID(), randomUUID()];

    local.faults.fail(() => true);
    try {
      for (const [i, clientId] of clientIds.entries())
        visitor.ws.send(JSON.stringify({ message: `down ${i}`, client_id: clientId }));
      for (const clientId of clientIds)
        await waitForFrames(visitor, errorFor(clientId), `the error for ${clientId}`, 20_000);
    } finally {
      local.faults.heal();
    }
    for (const clientId of clientIds) {
      expect(framesOf(visitor).find((f) => f.client_id === clientId)).toEqual({
        error: expect.any(String),
        code: 'internal',
        client_id: clientId,
      });
    }

    for (const [i, clientId] of clientIds.entries()) await sendAndEcho(visitor, `down ${i}`, { client_id: clientId });
    const history = await local.api.messages(room.room_id, { token });
    expect(history.map((m) => m.client_id)).toEqual(clientIds);
    await closeAll([visitor]);
  }, 60_000);
});

describe('the message stored, the broadcast query failing', () => {
  it('tells the sender; the retry reaches the owner and the inbox live and publishes the push, storing nothing twice', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const visitor = await local.api.visitorSocket(room);
    const owner = await local.api.ownerSocket(room.room_id, token);
    const inbox = await local.api.inboxSocket(token);
    const clientId = randomUUID();

    // Only the Query for the room's sockets fails: the message write itself succeeds.
    local.faults.fail((call) => call.operation === 'Query' && call.body.includes('"CONN#"'));
    try {
      visitor.ws.send(JSON.stringify({ message: 'lost broadcast', client_id: clientId }));
      await waitForFrames(visitor, errorFor(clientId), 'the error frame', 20_000);
    } finally {
      local.faults.heal();
    }
    expect(framesOf(visitor)).toEqual([{ error: expect.any(String), code: 'internal', client_id: clientId }]);
    const stored = await local.api.messages(room.room_id, { token });
    expect(stored.map((m) => m.content)).toEqual(['lost broadcast']);
    await barrier([owner, inbox]);
    expect(framesOf(owner)).toEqual([]);

    visitor.ws.send(JSON.stringify({ message: 'lost broadcast', client_id: clientId }));
    const toOwner = await broadcastOf(owner, 'lost broadcast');
    expect(toOwner).toMatchObject({ id: stored[0]!.id, client_id: clientId, sender_type: 'visitor' });
    expect(await broadcastOf(visitor, 'lost broadcast')).toEqual(toOwner);
    await waitForFrames(inbox, (frames) => frames.some((f) => f.type === 'message'), 'the inbox event');
    expect(framesOf(inbox)).toEqual([{ type: 'message', message: toOwner }]);
    await barrier([visitor]);
    const pushes = putEventsEntries(local.gatewayLines).filter((e) => e.detail.message_id === toOwner.id);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.detail.owner_online).toBe(true);

    expect(await local.api.messages(room.room_id, { token })).toEqual(stored);
    await closeAll([visitor, owner, inbox]);
  }, 60_000);
});

describe('a DynamoDB stall', () => {
  it('does not refuse a sender at 2 messages per second once DynamoDB answers again', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const visitor = await local.api.visitorSocket(room);
    const texts = Array.from({ length: 8 }, (_, i) => `steady ${i}`);

    // 4 s of stall at 2 messages a second: 8 frames wait, then are handled in a burst.
    local.faults.stall();
    try {
      for (const text of texts) {
        visitor.ws.send(JSON.stringify({ message: text }));
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      local.faults.heal();
    }
    await waitForFrames(visitor, (frames) => frames.length >= texts.length, 'an answer to every message', 20_000);

    expect(framesOf(visitor).filter((f) => 'error' in f)).toEqual([]);
    expect((await local.api.messages(room.room_id, { token })).map((m) => m.content)).toEqual(texts);
    await closeAll([visitor]);
  }, 60_000);
});
