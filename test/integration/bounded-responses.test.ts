import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ItemCodec } from '../../lambdas/adapters/item-codec.js';
import type { HistoryItem } from './support/chat.js';
import { localClientConfig } from './support/dynamodb-backend.js';
import { useLocalStack } from './support/local-stack-fixture.js';

/**
 * Every response fits in Lambda's 6 MB: a history or a room list that would not is cut to
 * what fits, with a Link header to the rest. The table is filled directly (as many messages
 * as one visitor could send), which is much faster than sending them.
 */
const LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024;

const local = useLocalStack();
/** Items as the store writes them, with no retention (the stack's default). */
const codec = new ItemCodec({ connectionSeconds: 0 });
let client: DynamoDBDocumentClient;
let tableName: string;

beforeAll(() => {
  client = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(local.stack.dynamoDbEndpoint)), {
    marshallOptions: { removeUndefinedValues: true },
  });
  tableName = Object.values(local.stack.served.tables)[0]!;
});
afterAll(() => client?.destroy());

async function putAll(items: Record<string, unknown>[]): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  // A few batches at a time: DynamoDB Local takes them one by one anyway.
  for (let i = 0; i < batches.length; i += 4) {
    await Promise.all(
      batches.slice(i, i + 4).map(async (batch) => {
        let request: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> | undefined = {
          [tableName]: batch.map((Item) => ({ PutRequest: { Item } })),
        };
        while (request && Object.keys(request).length > 0) {
          const { UnprocessedItems } = await client.send(new BatchWriteCommand({ RequestItems: request }));
          request = UnprocessedItems as typeof request;
        }
      }),
    );
  }
}

/** `</path?query>; rel="prev"` → the URL, for the given rel. */
function linkOf(response: Response, rel: string): string | undefined {
  const header = response.headers.get('link');
  if (!header) return undefined;
  const match = new RegExp(`<([^>]+)>;\\s*rel="${rel}"`).exec(header);
  return match?.[1];
}

async function get(path: string, token: string): Promise<{ response: Response; text: string }> {
  const response = await fetch(`${local.stack.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { response, text: await response.text() };
}

describe('a history larger than a Lambda response', () => {
  const COUNT = 420;
  // 4,000 code points of four UTF-8 bytes each: 16 KB per message, about 6.7 MB in all.
  const content = (i: number) => `${i} ${'😀'.repeat(3990)}`;
  let roomId: string;
  let token: string;
  let seededIds: string[];

  beforeAll(async () => {
    const ownerId = randomUUID();
    token = await local.api.ownerToken(ownerId);
    roomId = (await local.api.startChat(ownerId)).room_id;
    const start = Date.parse('2026-03-01T10:00:00.000Z');
    seededIds = Array.from({ length: COUNT }, () => randomUUID());
    await putAll(
      seededIds.map((id, i) => {
        const createdAt = new Date(start + i * 1000).toISOString();
        return codec.message({ id, roomId, senderType: i % 2 ? 'owner' : 'visitor', content: content(i), createdAt });
      }),
    );
  }, 120_000);

  it('answers the default history with the newest messages that fit, and a Link that pages back to the first', async () => {
    const first = await get(`/api/chat/rooms/${roomId}/messages/`, token);
    expect(first.response.status).toBe(200);
    expect(Buffer.byteLength(first.text)).toBeLessThan(LAMBDA_RESPONSE_LIMIT);
    const newest = JSON.parse(first.text) as HistoryItem[];
    expect(newest.length).toBeGreaterThan(100);
    expect(newest.length).toBeLessThan(COUNT);
    // The newest ones, oldest first, whole.
    expect(newest.map((m) => m.id)).toEqual(seededIds.slice(COUNT - newest.length));
    expect(newest.at(-1)!.content).toBe(content(COUNT - 1));

    const pages = [newest.map((m) => m.id)];
    let prev = linkOf(first.response, 'prev');
    expect(prev).toBe(`/api/chat/rooms/${roomId}/messages/?before=${newest[0]!.id}`);
    while (prev) {
      expect(pages.length, 'pages before reaching the first message').toBeLessThan(5);
      const page = await get(prev, token);
      expect(page.response.status).toBe(200);
      expect(Buffer.byteLength(page.text)).toBeLessThan(LAMBDA_RESPONSE_LIMIT);
      const items = JSON.parse(page.text) as HistoryItem[];
      pages.unshift(items.map((m) => m.id));
      prev = linkOf(page.response, 'prev');
    }
    expect(pages.flat()).toEqual(seededIds);
  });

  it('bounds an explicit page the same way, and a page of 200 such messages fits whole', async () => {
    const page = await get(`/api/chat/rooms/${roomId}/messages/?limit=200`, token);
    expect(page.response.status).toBe(200);
    expect((JSON.parse(page.text) as HistoryItem[]).map((m) => m.id)).toEqual(seededIds.slice(COUNT - 200));
    expect(linkOf(page.response, 'prev')).toBe(
      `/api/chat/rooms/${roomId}/messages/?before=${seededIds[COUNT - 200]}&limit=200`,
    );

    const forward = await get(`/api/chat/rooms/${roomId}/messages/?after=${seededIds[0]}`, token);
    expect(forward.response.status).toBe(200);
    expect(Buffer.byteLength(forward.text)).toBeLessThan(LAMBDA_RESPONSE_LIMIT);
    const items = JSON.parse(forward.text) as HistoryItem[];
    expect(items.map((m) => m.id)).toEqual(seededIds.slice(1, 1 + items.length));
    expect(items.length).toBeLessThan(COUNT - 1);
    expect(linkOf(forward.response, 'next')).toBe(`/api/chat/rooms/${roomId}/messages/?after=${items.at(-1)!.id}`);
  });
});

describe('a long room list', () => {
  it('is most recent activity first, bounded, and pages with a cursor in a Link rel="next"', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const COUNT = 1050;
    const start = Date.parse('2026-01-01T00:00:00.000Z');
    const rooms = Array.from({ length: COUNT }, (_, i) => {
      const id = randomUUID();
      const createdAt = new Date(start + i * 60_000).toISOString();
      // Activity in another order than creation.
      const updatedAt = new Date(start + ((i * 7919) % COUNT) * 60_000 + 3_600_000).toISOString();
      return { id, ownerId, visitorName: `visitor ${i}`, isActive: true, createdAt, updatedAt, visitorTokenHash: 'x' };
    });
    await putAll(rooms.map((room) => codec.room(room)));
    const expected = [...rooms].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).map((r) => r.id);

    const seen: string[] = [];
    let next: string | undefined = '/api/chat/rooms/';
    let pages = 0;
    while (next) {
      pages += 1;
      expect(pages, 'pages').toBeLessThan(5);
      const page = await get(next, token);
      expect(page.response.status).toBe(200);
      seen.push(...(JSON.parse(page.text) as { id: string }[]).map((r) => r.id));
      next = linkOf(page.response, 'next');
      if (pages === 1) {
        expect(seen.length).toBeLessThan(COUNT);
        expect(next).toMatch(/^\/api\/chat\/rooms\/\?cursor=[\w-]+$/);
      }
    }
    expect(seen).toEqual(expected);

    const bad = await get('/api/chat/rooms/?cursor=not-a-cursor', token);
    expect(bad.response.status).toBe(400);
    expect(JSON.parse(bad.text)).toEqual({ detail: expect.any(String) });
  }, 120_000);
});
