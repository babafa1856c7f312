import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoChatStore } from '../../lambdas/adapters/dynamo-chat-store.js';
import { storeOptionsFromEnv } from '../../lambdas/config/store.js';
import { startChat } from '../../lambdas/domain/start-chat.js';
import { loggerFor } from '../../lambdas/shared/logger.js';
import { ORIGIN_VERIFY_HEADER } from '../../lambdas/shared/origin-verify.js';
import { localClientConfig } from './support/dynamodb-backend.js';
import {
  barrier,
  broadcastOf,
  closeAll,
  framesOf,
  sendAndEcho,
  startChatFrom,
  waitForFrames,
  type Broadcast,
  type StartedRoom,
} from './support/chat.js';
import { useLocalStack } from './support/local-stack-fixture.js';
import { openSocket, refusalOf } from './support/ws-client.js';

/**
 * The abuse limits and the front door, with low limits. Each test starts its rooms from its
 * own loopback address (127.0.0.x), another client as far as the per-address limit goes.
 */
const STARTS_PER_MINUTE = 3;
const STARTS_PER_HOUR_PER_OWNER = 4;
const MESSAGES_PER_SECOND = 3;

const local = useLocalStack({
  environment: {
    ROOM_STARTS_PER_MINUTE_PER_IP: String(STARTS_PER_MINUTE),
    ROOM_STARTS_PER_HOUR_PER_OWNER: String(STARTS_PER_HOUR_PER_OWNER),
    MESSAGES_PER_SECOND_PER_CONNECTION: String(MESSAGES_PER_SECOND),
  },
});

async function startFrom(address: string, ownerId = randomUUID()): Promise<StartedRoom> {
  const { status, body } = await startChatFrom(local.stack, address, ownerId);
  if (status !== 201) throw new Error(`start from ${address} answered ${status}: ${JSON.stringify(body)}`);
  return body as unknown as StartedRoom;
}

describe('chats started per address', () => {
  it('refuses the start past the limit with 429, and forged address headers do not get around it', async () => {
    const address = '127.0.0.2';
    for (let i = 1; i <= STARTS_PER_MINUTE; i += 1) {
      expect((await startChatFrom(local.stack, address, randomUUID())).status, `start #${i}`).toBe(201);
    }
    const refused = await startChatFrom(local.stack, address, randomUUID());
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ detail: expect.any(String) });
    // When to come back: the window of the per-address limit.
    expect(refused.headers['retry-after']).toBe('60');

    // The gateway plays CloudFront, which sets CloudFront-Viewer-Address and the origin-verify
    // header itself; X-Forwarded-For is never trusted.
    const forgeries: Record<string, string>[] = [
      { 'x-forwarded-for': '203.0.113.7' },
      { 'cloudfront-viewer-address': '203.0.113.8:443' },
      { 'cloudfront-viewer-address': '203.0.113.9:443', [ORIGIN_VERIFY_HEADER]: 'a guess' },
      {
        'x-forwarded-for': '203.0.113.10',
        'cloudfront-viewer-address': '203.0.113.10:443',
        'x-real-ip': '203.0.113.10',
      },
    ];
    for (const headers of forgeries) {
      const forged = await startChatFrom(local.stack, address, randomUUID(), headers);
      expect(forged.status, JSON.stringify(headers)).toBe(429);
      expect(forged.body).toEqual({ detail: expect.any(String) });
    }

    // The limit is per address: another client still starts chats.
    expect((await startChatFrom(local.stack, '127.0.0.3', randomUUID())).status).toBe(201);
  });
});

describe('chats started per owner and hour', () => {
  it("refuses the owner's start past the limit from any address, with 429, a detail naming it and Retry-After", async () => {
    const ownerId = randomUUID();
    for (let i = 1; i <= STARTS_PER_HOUR_PER_OWNER; i += 1) {
      expect((await startChatFrom(local.stack, `127.0.1.${i}`, ownerId)).status, `start #${i}`).toBe(201);
    }
    const refused = await startChatFrom(local.stack, '127.0.1.99', ownerId);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ detail: expect.stringMatching(/owner/) });
    expect(refused.headers['retry-after']).toBe('3600');
    // The owner's room list holds the admitted rooms only; another owner still gets chats.
    await expect
      .poll(async () => (await local.api.listRooms(await local.api.ownerToken(ownerId))).length, { timeout: 5000 })
      .toBe(STARTS_PER_HOUR_PER_OWNER);
    expect((await startChatFrom(local.stack, '127.0.1.99', randomUUID())).status).toBe(201);
  });

  it('counts two addresses of one IPv6 /64 as one client (the start use case on this table)', async () => {
    const store = new DynamoChatStore({
      ...storeOptionsFromEnv({
        ...local.stack.served.environment,
        ROOM_STARTS_PER_MINUTE_PER_IP: String(STARTS_PER_MINUTE),
      }),
      client: DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(local.stack.dynamoDbEndpoint)), {
        marshallOptions: { removeUndefinedValues: true },
      }),
    });
    const deps = {
      store,
      gateway: { send: async () => 'gone' as const, disconnect: async () => 'gone' as const },
      clock: { now: () => new Date() },
      logger: loggerFor({}),
      metrics: { count: () => undefined },
      wsUrlFor: (roomId: string) => `ws://localhost/ws/chat/${roomId}/`,
    };
    const startFrom = (sourceIp: string) =>
      startChat(deps, { userId: randomUUID(), visitorName: undefined, sourceIp }).then(
        () => 201,
        (error: { status?: number }) => error.status,
      );
    for (let i = 1; i <= STARTS_PER_MINUTE; i += 1) expect(await startFrom(`2001:db8:77:1::${i}`)).toBe(201);
    expect(await startFrom('2001:db8:77:1:ffff:ffff:ffff:ffff')).toBe(429);
    expect(await startFrom('2001:db8:77:2::1')).toBe(201);
  });
});

describe('messages per connection', () => {
  it('refuses the excess of a burst with {"error"}, stores none of it, spares the other socket, and recovers after the window', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await startFrom('127.0.0.4', ownerId);
    const visitor = await local.api.visitorSocket(room);
    const owner = await local.api.ownerSocket(room.room_id, token);

    const burst = Array.from({ length: MESSAGES_PER_SECOND + 3 }, (_, i) => `burst ${i + 1}`);
    for (const text of burst) visitor.ws.send(JSON.stringify({ message: text }));
    const answers = await waitForFrames(
      visitor,
      (frames) => frames.length === burst.length,
      `an answer to each of the ${burst.length} frames`,
    );
    // Well within one second the first three are taken and the rest refused, in order.
    const admitted = answers.slice(0, MESSAGES_PER_SECOND) as unknown as Broadcast[];
    expect(admitted.map((b) => b.message)).toEqual(burst.slice(0, MESSAGES_PER_SECOND));
    for (const refusal of answers.slice(MESSAGES_PER_SECOND)) {
      expect(refusal).toEqual({ error: expect.stringMatching(/too many/i), code: 'rate_limited' });
    }

    // The owner's socket of the same room has its own budget, and never hears the refusals.
    const fromOwner = await sendAndEcho(owner, 'the owner is not limited by the visitor');
    await barrier([visitor, owner]);
    expect(framesOf(owner)).toEqual([...admitted, fromOwner]);

    const stored = await local.api.messages(room.room_id, { token });
    expect(stored.map((m) => m.content)).toEqual([...burst.slice(0, MESSAGES_PER_SECOND), fromOwner.message]);

    // Once the oldest admitted message is a second old, the visitor may send again.
    const windowEnds = Date.parse(admitted[0]!.created_at) + 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, windowEnds + 100 - Date.now())));
    const again = await sendAndEcho(visitor, 'after the window');
    await broadcastOf(owner, 'after the window');
    expect(again.sender_type).toBe('visitor');
    expect((await local.api.messages(room.room_id, { token })).map((m) => m.id)).toContain(again.id);
    await closeAll([visitor, owner]);
  });
});

describe('keep-alive', () => {
  it('answers {"type":"ping"} with a pong to the sender only, and stores and broadcasts nothing', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await startFrom('127.0.0.5', ownerId);
    const visitor = await local.api.visitorSocket(room);
    const owner = await local.api.ownerSocket(room.room_id, token);

    // Pings count toward the socket's frame limit like any frame (frame-limits.test.ts floods it).
    for (let i = 0; i < MESSAGES_PER_SECOND; i += 1) visitor.ws.send(JSON.stringify({ type: 'ping' }));
    await waitForFrames(visitor, () => visitor.received.length === MESSAGES_PER_SECOND, 'a pong per ping');
    expect(visitor.received.map((raw) => JSON.parse(raw))).toEqual(Array(MESSAGES_PER_SECOND).fill({ type: 'pong' }));

    // ...and the owner's socket heard nothing before the next real message of the visitor,
    // sent once the pings have left the one-second window.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const sentinel = await sendAndEcho(visitor, 'after the pings');
    expect(await owner.next()).toEqual(sentinel);
    expect(owner.received).toHaveLength(1);
    expect((await local.api.messages(room.room_id, { token })).map((m) => m.content)).toEqual(['after the pings']);
    await closeAll([visitor, owner]);
  });
});

describe('the front door', () => {
  it('answers 404 at the handshake for any /ws/ path that is not a room or the inbox', async () => {
    const room = await startFrom('127.0.0.6');
    const auth = `visitor=${room.visitor_token}`;
    expect(await refusalOf(`${local.stack.wsUrl}/ws/chat/not-a-uuid/?${auth}`)).toBe('handshake refused: 404');
    expect(await refusalOf(`${local.stack.wsUrl}/ws/chat/${room.room_id}/extra/?${auth}`)).toBe(
      'handshake refused: 404',
    );
    expect(await refusalOf(`${local.stack.wsUrl}/ws/chat/?${auth}&room=${room.room_id}`)).toBe(
      'handshake refused: 404',
    );
    expect(await refusalOf(`${local.stack.wsUrl}/ws/other?${auth}`)).toBe('handshake refused: 404');
    expect(await refusalOf(`${local.stack.wsUrl}/ws/inbox/extra/?token=x`)).toBe('handshake refused: 404');
    // The control: the room's own path is accepted.
    expect(await refusalOf(`${local.stack.wsUrl}/ws/chat/${room.room_id}/?${auth}`)).toBe('accepted');
  });

  it('takes the room from the path: a ?room= or ?inbox= of the client moves nothing', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const [a, b] = [await startFrom('127.0.0.7', ownerId), await startFrom('127.0.0.7', ownerId)];

    // Room B's token on room A's path is judged against A, whatever the query says.
    expect(
      await refusalOf(`${local.stack.wsUrl}/ws/chat/${a.room_id}/?visitor=${b.visitor_token}&room=${b.room_id}`),
    ).toBe('handshake refused: 403');

    const ownerOfA = await local.api.ownerSocket(a.room_id, token);
    const ownerOfB = await local.api.ownerSocket(b.room_id, token);
    const visitorOfA = await openSocket(
      `${local.stack.wsUrl}/ws/chat/${a.room_id}/?visitor=${a.visitor_token}&room=${b.room_id}`,
    );
    const ownerAsInbox = await openSocket(
      `${local.stack.wsUrl}/ws/chat/${a.room_id}/?token=${token}&inbox=1&room=${b.room_id}`,
    );

    const fromVisitor = await sendAndEcho(visitorOfA, 'posted on A with ?room=B');
    const fromOwner = await sendAndEcho(ownerAsInbox, 'posted on A with ?inbox=1');
    expect([fromVisitor.room_id, fromOwner.room_id]).toEqual([a.room_id, a.room_id]);
    await barrier([ownerOfA, ownerOfB, visitorOfA, ownerAsInbox]);
    expect(framesOf(ownerOfA)).toEqual([fromVisitor, fromOwner]);
    expect(framesOf(ownerOfB)).toEqual([]);
    expect((await local.api.messages(b.room_id, { token })).length).toBe(0);
    expect((await local.api.messages(a.room_id, { token })).map((m) => m.id)).toEqual([fromVisitor.id, fromOwner.id]);
    await closeAll([ownerOfA, ownerOfB, visitorOfA, ownerAsInbox]);
  });
});
