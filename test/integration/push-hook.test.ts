import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  barrier,
  broadcastOf,
  closeAll,
  framesOf,
  inboxConnectionIds,
  putEventsEntries,
  roomConnectionIds,
  sendAndEcho,
  type Broadcast,
} from './support/chat.js';
import { MANY_FRAMES, MANY_ROOM_STARTS, useLocalStack } from './support/local-stack-fixture.js';
import { localClientConfig } from './support/dynamodb-backend.js';
import type { TestSocket } from './support/ws-client.js';

/**
 * The push hook: each visitor message is published to EventBridge for the existing backend
 * to push to an offline owner. The local stack's EventBridge stub logs each entry without its
 * text and hands it whole to the fixture (`local.putEvents`); the `failPutEvents` hook makes
 * it reject them.
 */
let rejectPutEvents = false;
const local = useLocalStack({
  failPutEvents: () => rejectPutEvents,
  environment: { ...MANY_ROOM_STARTS, ...MANY_FRAMES },
});

const eventsFor = (messageId: string) => local.putEvents.filter((e) => e.detail.message_id === messageId);

/** Sends as the visitor and returns the broadcast once the handler, push included, is done. */
async function visitorSays(visitor: TestSocket, text: string): Promise<Broadcast> {
  const broadcast = await sendAndEcho(visitor, text);
  // The publish runs beside the broadcast; a pong on this socket comes after the handler ended.
  await barrier([visitor]);
  return broadcast;
}

describe('a visitor message', () => {
  it('is published once, with a 100-character preview, owner_online false when no owner socket is open', async () => {
    const ownerId = randomUUID();
    const room = await local.api.startChat(ownerId);
    const visitor = await local.api.visitorSocket(room);
    const text = Array.from({ length: 15 }, (_, i) => `${i}`.padEnd(10, '.')).join(''); // 150 characters
    expect(text).toHaveLength(150);

    const message = await visitorSays(visitor, text);
    const events = eventsFor(message.id);
    expect(events).toEqual([
      {
        rejected: false,
        bus: 'default',
        source: 'carchat',
        detailType: 'chat.visitor_message',
        detail: {
          room_id: room.room_id,
          owner_id: ownerId,
          message_id: message.id,
          preview: text.slice(0, 100),
          owner_online: false,
          created_at: message.created_at,
          unread_count: 1,
        },
      },
    ]);
    visitor.ws.close();
  });

  it('cuts the preview at 100 characters, not in the middle of one', async () => {
    const room = await local.api.startChat(randomUUID());
    const visitor = await local.api.visitorSocket(room);
    const text = '🚗'.repeat(150);
    const message = await visitorSays(visitor, text);
    expect(eventsFor(message.id).map((e) => e.detail.preview)).toEqual(['🚗'.repeat(100)]);
    // A short message is its own preview.
    const short = await visitorSays(visitor, 'Salom');
    expect(eventsFor(short.id).map((e) => e.detail.preview)).toEqual(['Salom']);
    visitor.ws.close();
  });

  it('says owner_online true while an inbox or a room socket of the owner is open, and false again after', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const visitor = await local.api.visitorSocket(room);

    const inbox = await local.api.inboxSocket(token);
    const withInbox = await visitorSays(visitor, 'with the inbox open');
    inbox.ws.close();
    await inbox.closed;

    const owner = await local.api.ownerSocket(room.room_id, token);
    const withRoomSocket = await visitorSays(visitor, 'with the room socket open');
    await broadcastOf(owner, 'with the room socket open');
    owner.ws.close();
    await owner.closed;

    // Once $disconnect has forgotten both owner sockets, the owner is offline again; another
    // owner's open inbox does not count.
    await expect.poll(() => roomConnectionIds(local.stack, room.room_id), { timeout: 5000 }).toHaveLength(1);
    await expect.poll(() => inboxConnectionIds(local.stack, ownerId), { timeout: 5000 }).toEqual([]);
    const stranger = await local.api.inboxSocket(await local.api.ownerToken(randomUUID()));
    const alone = await visitorSays(visitor, 'with every owner socket closed');

    expect(eventsFor(withInbox.id).map((e) => e.detail.owner_online)).toEqual([true]);
    expect(eventsFor(withRoomSocket.id).map((e) => e.detail.owner_online)).toEqual([true]);
    expect(eventsFor(alone.id).map((e) => e.detail.owner_online)).toEqual([false]);
    await closeAll([visitor, stranger]);
  });

  it('says owner_online false when the only owner sockets left are rows of sockets gone without $disconnect', async () => {
    const ownerId = randomUUID();
    const room = await local.api.startChat(ownerId);
    const visitor = await local.api.visitorSocket(room);
    // What a missed $disconnect leaves: the owner's room and inbox rows of sockets that are gone.
    await writeItems([
      { pk: `ROOM#${room.room_id}`, sk: 'CONN#gone-owner-socket', connection_id: 'gone-owner-socket', role: 'owner' },
      { pk: `OWNER#${ownerId}`, sk: 'INBOX#gone-inbox-socket', connection_id: 'gone-inbox-socket' },
    ]);

    const message = await visitorSays(visitor, 'nobody is there');

    expect(eventsFor(message.id).map((e) => e.detail.owner_online)).toEqual([false]);
    // The posts found them gone, and they are forgotten.
    await expect.poll(() => roomConnectionIds(local.stack, room.room_id), { timeout: 5000 }).toHaveLength(1);
    await closeAll([visitor]);
  });
});

/** Puts items straight into the stack's table (what the handlers would have left behind). */
async function writeItems(items: Record<string, unknown>[]): Promise<void> {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(local.stack.dynamoDbEndpoint)));
  try {
    const table = Object.values(local.stack.served.tables)[0]!;
    for (const item of items) await client.send(new PutCommand({ TableName: table, Item: item }));
  } finally {
    client.destroy();
  }
}

describe('an owner message', () => {
  it('is not published', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const owner = await local.api.ownerSocket(room.room_id, token);
    const before = putEventsEntries(local.gatewayLines).length;
    const message = await sendAndEcho(owner, 'the owner answers');
    await barrier([owner]);
    expect(message.sender_type).toBe('owner');
    expect(eventsFor(message.id)).toEqual([]);
    expect(putEventsEntries(local.gatewayLines)).toHaveLength(before);
    owner.ws.close();
  });
});

describe('a publish that EventBridge rejects', () => {
  it('loses nothing: the message is broadcast without an error and kept, and the next one is published', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const visitor = await local.api.visitorSocket(room);
    const owner = await local.api.ownerSocket(room.room_id, token);

    rejectPutEvents = true;
    let lost: Broadcast;
    try {
      lost = await visitorSays(visitor, 'while EventBridge fails');
    } finally {
      rejectPutEvents = false;
    }
    expect(eventsFor(lost.id).map((e) => e.rejected)).toEqual([true]);
    expect(await broadcastOf(owner, 'while EventBridge fails')).toEqual(lost);

    const next = await visitorSays(visitor, 'after it recovered');
    expect(eventsFor(next.id).map((e) => e.rejected)).toEqual([false]);
    await barrier([visitor, owner]);
    // No error frame anywhere, and both messages are kept.
    expect(framesOf(visitor)).toEqual([lost, next]);
    expect(framesOf(owner)).toEqual([lost, next]);
    expect((await local.api.messages(room.room_id, { token })).map((m) => m.id)).toEqual([lost.id, next.id]);
    await closeAll([visitor, owner]);
  });
});

describe("the EventBridge stub's log", () => {
  it('names the event and its ids but holds no message text', async () => {
    const ownerId = randomUUID();
    const room = await local.api.startChat(ownerId);
    const visitor = await local.api.visitorSocket(room);
    const text = 'my plate is 01A123BC, call me';
    const message = await visitorSays(visitor, text);

    const lines = local.gatewayLines.filter((line) => line.startsWith('[eventbridge]') && line.includes(message.id));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(text);
    expect(lines[0]).not.toContain('preview');
    expect(putEventsEntries(lines)).toEqual([
      {
        rejected: false,
        bus: 'default',
        source: 'carchat',
        detailType: 'chat.visitor_message',
        detail: {
          room_id: room.room_id,
          owner_id: ownerId,
          message_id: message.id,
          owner_online: false,
          created_at: message.created_at,
          unread_count: 1,
        },
      },
    ]);
    // The entry itself carried the preview; only the log leaves it out.
    expect(eventsFor(message.id).map((e) => e.detail.preview)).toEqual([text]);
    visitor.ws.close();
  });
});
