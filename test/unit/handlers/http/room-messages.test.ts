import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeHandler } from '../../../../lambdas/handlers/http/room-messages.route.js';
import type { ChatMessage } from '../../../../lambdas/domain/model.js';
import {
  makeWorld,
  OWNER_A_TOKEN,
  OWNER_B_TOKEN,
  ROOM_ID,
  seedRoom,
  UNKNOWN_UUID,
  VISITOR_TOKEN,
  type World,
} from '../../support/fixtures.js';
import { httpEvent, jsonBody } from '../../support/lambda-events.js';

/** The handler on in-memory fakes: one room with three messages. */
let world: World;
let handler: ReturnType<typeof makeHandler>;

const PATH = `/api/chat/rooms/${ROOM_ID}/messages/`;
const messages: ChatMessage[] = [1, 2, 3].map((i) => ({
  id: `0000000${i}-0000-4000-8000-000000000000`,
  roomId: ROOM_ID,
  senderType: i === 2 ? 'owner' : 'visitor',
  content: `m${i}`,
  createdAt: `2026-02-05T11:06:0${i}.000Z`,
}));

const asVisitor = (query: Record<string, string> = {}, path = PATH) =>
  httpEvent({ method: 'GET', path, query: { visitor: VISITOR_TOKEN, ...query } });
const asOwner = (token = OWNER_A_TOKEN, path = PATH) =>
  httpEvent({ method: 'GET', path, headers: { authorization: `Bearer ${token}` } });

beforeEach(async () => {
  world = makeWorld();
  seedRoom(world.store);
  for (const message of messages) await world.store.putMessage(message);
  handler = makeHandler(world);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('GET /api/chat/rooms/<room_id>/messages/', () => {
  it('answers the visitor with the history oldest first, each item carrying content', async () => {
    const result = await handler(asVisitor());

    expect(result.statusCode).toBe(200);
    expect(jsonBody(result)).toEqual([
      {
        id: messages[0]?.id,
        room_id: ROOM_ID,
        sender_type: 'visitor',
        content: 'm1',
        created_at: '2026-02-05T11:06:01.000Z',
      },
      {
        id: messages[1]?.id,
        room_id: ROOM_ID,
        sender_type: 'owner',
        content: 'm2',
        created_at: '2026-02-05T11:06:02.000Z',
      },
      {
        id: messages[2]?.id,
        room_id: ROOM_ID,
        sender_type: 'visitor',
        content: 'm3',
        created_at: '2026-02-05T11:06:03.000Z',
      },
    ]);
  });

  it('answers the owner with the history', async () => {
    const result = await handler(asOwner());

    expect(result.statusCode).toBe(200);
    expect(jsonBody(result)).toHaveLength(3);
  });

  it('routes the path without the trailing slash too', async () => {
    expect((await handler(asVisitor({}, `/api/chat/rooms/${ROOM_ID}/messages`))).statusCode).toBe(200);
  });

  it('answers an extra path segment with 404 and a detail', async () => {
    const result = await handler(asVisitor({}, `${PATH}extra/`));

    expect(result.statusCode).toBe(404);
    expect(jsonBody(result)).toEqual({ detail: 'Not found.' });
  });

  it('answers POST with 405, an allow header and a detail', async () => {
    const result = await handler(httpEvent({ method: 'POST', path: PATH, body: '{"message":"hi"}' }));

    expect(result.statusCode).toBe(405);
    expect(result.headers).toMatchObject({ allow: 'GET' });
    expect(jsonBody(result)).toEqual({ detail: 'Method "POST" not allowed.' });
  });

  it('answers a request without credentials with 401', async () => {
    const result = await handler(httpEvent({ method: 'GET', path: PATH }));

    expect(result.statusCode).toBe(401);
    expect(jsonBody(result)).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  it('answers a wrong visitor token with 403 and reads no history', async () => {
    const listMessages = vi.spyOn(world.store, 'listMessages');

    const result = await handler(asVisitor({ visitor: UNKNOWN_UUID }));

    expect(result.statusCode).toBe(403);
    expect(jsonBody(result)).toEqual({ detail: 'Invalid visitor token for this room.' });
    expect(listMessages).not.toHaveBeenCalled();
  });

  it('answers another owner with 403', async () => {
    expect((await handler(asOwner(OWNER_B_TOKEN))).statusCode).toBe(403);
  });

  it('answers an unknown room with 404', async () => {
    const result = await handler(asVisitor({}, `/api/chat/rooms/${UNKNOWN_UUID}/messages/`));

    expect(result.statusCode).toBe(404);
    expect(jsonBody(result)).toEqual({ detail: 'Not found.' });
  });

  it('answers a malformed room id with 404 without reading the store', async () => {
    const getRoom = vi.spyOn(world.store, 'getRoom');
    const listMessages = vi.spyOn(world.store, 'listMessages');

    const result = await handler(asVisitor({}, '/api/chat/rooms/lobby/messages/'));

    expect(result.statusCode).toBe(404);
    expect(getRoom).not.toHaveBeenCalled();
    expect(listMessages).not.toHaveBeenCalled();
  });

  it('passes limit through as a number and answers the newest messages, with a Link to the older ones', async () => {
    const listMessages = vi.spyOn(world.store, 'listMessages');

    const result = await handler(asVisitor({ limit: '2' }));

    expect(result.statusCode).toBe(200);
    expect(listMessages.mock.calls[0]?.[1]).toMatchObject({ limit: 2 });
    expect(jsonBody(result)).toEqual([
      expect.objectContaining({ content: 'm2' }),
      expect.objectContaining({ content: 'm3' }),
    ]);
    // The link carries no credentials: the client adds its own, as on this request.
    expect(result.headers?.link).toBe(`<${PATH}?before=${messages[1]?.id}&limit=2>; rel="prev"`);
    expect(result.headers?.link).not.toContain(VISITOR_TOKEN);
  });

  it.each([['0'], ['201'], ['abc']])('answers limit=%s with 400', async (limit) => {
    const result = await handler(asVisitor({ limit }));

    expect(result.statusCode).toBe(400);
    expect(jsonBody(result)).toEqual({ detail: 'limit must be an integer from 1 to 200.' });
  });

  it('answers an unknown before id with 400', async () => {
    const result = await handler(asVisitor({ before: UNKNOWN_UUID }));

    expect(result.statusCode).toBe(400);
    expect(jsonBody(result)).toEqual({ detail: 'before does not name a message of this room.' });
  });

  it('answers after newer than before with an empty list, not a 500', async () => {
    const result = await handler(asVisitor({ after: messages[2]?.id as string, before: messages[0]?.id as string }));

    expect(result.statusCode).toBe(200);
    expect(jsonBody(result)).toEqual([]);
  });

  it('answers an unexpected store failure with a bare 500 that leaks nothing', async () => {
    vi.spyOn(world.store, 'listMessages').mockRejectedValue(
      new Error('InternalServerError: partition ROOM#x unavailable'),
    );

    const result = await handler(asVisitor());

    expect(result.statusCode).toBe(500);
    expect(jsonBody(result)).toEqual({ detail: 'A server error occurred.' });
  });
});
