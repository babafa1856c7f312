import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatMessage } from '../../../../lambdas/domain/model.js';
import { OWNER_A, OWNER_B, ROOM_ID, UNKNOWN_UUID, VISITOR_TOKEN } from '../../support/fixtures.js';
import { loadHandler } from '../../support/handler-env.js';
import { signAccessToken, TEST_JWT_SECRET } from '../../support/jwt.js';
import { httpEvent, jsonBody } from '../../support/lambda-events.js';
import { messageItem, roomItem } from '../../support/table-items.js';

const ddb = mockClient(DynamoDBDocumentClient);
const secrets = mockClient(SecretsManagerClient);

const load = () =>
  loadHandler(() => import('../../../../lambdas/handlers/http/room-messages.js')).then((module) => module.handler);

const PATH = `/api/chat/rooms/${ROOM_ID}/messages/`;
const messages: ChatMessage[] = [1, 2, 3].map((i) => ({
  id: `0000000${i}-0000-4000-8000-000000000000`,
  roomId: ROOM_ID,
  senderType: i === 2 ? 'owner' : 'visitor',
  content: `m${i}`,
  createdAt: `2026-02-05T11:06:0${i}.000Z`,
}));

/** GetItem answers for the room and its messages; everything else is missing. */
function table() {
  ddb.on(GetCommand).callsFake((input: { Key: { pk: string; sk: string } }) => {
    if (input.Key.pk === `ROOM#${ROOM_ID}` && input.Key.sk === 'ROOM') return { Item: roomItem() };
    const message = messages.find((m) => input.Key.pk === `ROOM#${ROOM_ID}` && input.Key.sk === `MSG#${m.id}`);
    return message ? { Item: messageItem(message) } : {};
  });
  // The history is read newest first (the newest messages are kept when it does not fit).
  ddb.on(QueryCommand).resolves({ Items: messages.map((m) => messageItem(m)).reverse() });
}

const asVisitor = (query: Record<string, string> = {}, path = PATH) =>
  httpEvent({ method: 'GET', path, query: { visitor: VISITOR_TOKEN, ...query } });
const asOwner = async (ownerId = OWNER_A, path = PATH) =>
  httpEvent({ method: 'GET', path, headers: { authorization: `Bearer ${await signAccessToken({ user_id: ownerId })}` } });

beforeEach(() => {
  ddb.reset();
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: TEST_JWT_SECRET });
  table();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('GET /api/chat/rooms/<room_id>/messages/', () => {
  it('answers the visitor with the history oldest first, each item carrying content', async () => {
    const handler = await load();

    const result = await handler(asVisitor());

    expect(result.statusCode).toBe(200);
    expect(jsonBody(result)).toEqual([
      { id: messages[0]?.id, room_id: ROOM_ID, sender_type: 'visitor', content: 'm1', created_at: '2026-02-05T11:06:01.000Z' },
      { id: messages[1]?.id, room_id: ROOM_ID, sender_type: 'owner', content: 'm2', created_at: '2026-02-05T11:06:02.000Z' },
      { id: messages[2]?.id, room_id: ROOM_ID, sender_type: 'visitor', content: 'm3', created_at: '2026-02-05T11:06:03.000Z' },
    ]);
  });

  it('answers the owner with the history', async () => {
    const handler = await load();

    const result = await handler(await asOwner());

    expect(result.statusCode).toBe(200);
    expect(jsonBody(result)).toHaveLength(3);
  });

  it('routes the path without the trailing slash too', async () => {
    const handler = await load();

    expect((await handler(asVisitor({}, `/api/chat/rooms/${ROOM_ID}/messages`))).statusCode).toBe(200);
  });

  it('answers an extra path segment with 404 and a detail', async () => {
    const handler = await load();

    const result = await handler(asVisitor({}, `${PATH}extra/`));

    expect(result.statusCode).toBe(404);
    expect(jsonBody(result)).toEqual({ detail: 'Not found.' });
  });

  it('answers POST with 405, an allow header and a detail', async () => {
    const handler = await load();

    const result = await handler(httpEvent({ method: 'POST', path: PATH, body: '{"message":"hi"}' }));

    expect(result.statusCode).toBe(405);
    expect(result.headers).toMatchObject({ allow: 'GET' });
    expect(jsonBody(result)).toEqual({ detail: 'Method "POST" not allowed.' });
  });

  it('answers a request without credentials with 401', async () => {
    const handler = await load();

    const result = await handler(httpEvent({ method: 'GET', path: PATH }));

    expect(result.statusCode).toBe(401);
    expect(jsonBody(result)).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  it('answers a wrong visitor token with 403', async () => {
    const handler = await load();

    const result = await handler(asVisitor({ visitor: UNKNOWN_UUID }));

    expect(result.statusCode).toBe(403);
    expect(jsonBody(result)).toEqual({ detail: 'Invalid visitor token for this room.' });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('answers another owner with 403', async () => {
    const handler = await load();

    expect((await handler(await asOwner(OWNER_B))).statusCode).toBe(403);
  });

  it('answers an unknown room with 404', async () => {
    const handler = await load();

    const result = await handler(asVisitor({}, `/api/chat/rooms/${UNKNOWN_UUID}/messages/`));

    expect(result.statusCode).toBe(404);
    expect(jsonBody(result)).toEqual({ detail: 'Not found.' });
  });

  it('answers a malformed room id with 404 without reading the table', async () => {
    const handler = await load();

    const result = await handler(asVisitor({}, '/api/chat/rooms/lobby/messages/'));

    expect(result.statusCode).toBe(404);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('passes limit through to the query', async () => {
    const handler = await load();

    const result = await handler(asVisitor({ limit: '2' }));

    expect(result.statusCode).toBe(200);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ ScanIndexForward: false, Limit: 4 });
  });

  it.each([['0'], ['201'], ['abc']])('answers limit=%s with 400', async (limit) => {
    const handler = await load();

    const result = await handler(asVisitor({ limit }));

    expect(result.statusCode).toBe(400);
    expect(jsonBody(result)).toEqual({ detail: 'limit must be an integer from 1 to 200.' });
  });

  it('answers an unknown before id with 400', async () => {
    const handler = await load();

    const result = await handler(asVisitor({ before: UNKNOWN_UUID }));

    expect(result.statusCode).toBe(400);
    expect(jsonBody(result)).toEqual({ detail: 'before does not name a message of this room.' });
  });

  it('answers after newer than before with an empty list, not a 500', async () => {
    const handler = await load();

    const result = await handler(asVisitor({ after: messages[2]?.id as string, before: messages[0]?.id as string }));

    expect(result.statusCode).toBe(200);
    expect(jsonBody(result)).toEqual([]);
  });

  it('answers an unexpected DynamoDB failure with a bare 500 that leaks nothing', async () => {
    ddb.on(QueryCommand).rejects(new Error('InternalServerError: partition ROOM#x unavailable'));
    const handler = await load();

    const result = await handler(asVisitor());

    expect(result.statusCode).toBe(500);
    expect(jsonBody(result)).toEqual({ detail: 'A server error occurred.' });
  });
});
