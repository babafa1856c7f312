import { envName } from '../../../../lambdas/config/settings-contract.js';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NO_ACTIVITY, OWNER_A, OWNER_B, ROOM_ID, UNKNOWN_UUID, VISITOR_TOKEN } from '../../support/fixtures.js';
import { loadHandler } from '../../support/handler-env.js';
import { signAccessToken, TEST_JWT_SECRET } from '../../support/jwt.js';
import { httpEvent, jsonBody } from '../../support/lambda-events.js';
import { roomItem } from '../../support/table-items.js';

const ddb = mockClient(DynamoDBDocumentClient);
const secrets = mockClient(SecretsManagerClient);

const load = () => loadHandler(() => import('../../../../lambdas/handlers/http/get-room.js')).then((module) => module.handler);

const PATH = `/api/chat/rooms/${ROOM_ID}/`;
const asVisitor = (path = PATH, token = VISITOR_TOKEN) => httpEvent({ method: 'GET', path, query: { visitor: token } });
const asOwner = async (ownerId = OWNER_A, path = PATH) =>
  httpEvent({ method: 'GET', path, headers: { authorization: `Bearer ${await signAccessToken({ user_id: ownerId })}` } });

/** The room list's item, exactly: nothing more (no token hash, no index keys). */
const ROOM_VIEW = {
  id: ROOM_ID,
  owner_id: OWNER_A,
  visitor_name: 'Aziz',
  is_active: true,
  created_at: '2026-02-05T11:00:00.000Z',
  updated_at: '2026-02-05T11:00:00.000Z',
  ...NO_ACTIVITY,
};

beforeEach(() => {
  ddb.reset();
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: TEST_JWT_SECRET });
  ddb.on(GetCommand).callsFake((input: { Key: { pk: string; sk: string } }) =>
    input.Key.pk === `ROOM#${ROOM_ID}` && input.Key.sk === 'ROOM' ? { Item: roomItem() } : {},
  );
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('GET /api/chat/rooms/<room_id>/', () => {
  it("answers the owner with 200 and the room in the room list's shape", async () => {
    const handler = await load();

    const result = await handler(await asOwner());

    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json' });
    expect(jsonBody(result)).toEqual(ROOM_VIEW);
  });

  it('answers the visitor with the same room', async () => {
    const handler = await load();

    const result = await handler(asVisitor());

    expect(result.statusCode).toBe(200);
    expect(jsonBody(result)).toEqual(ROOM_VIEW);
  });

  it('reads the room with one strongly consistent GetItem (a room closed a moment ago reads closed) and nothing else', async () => {
    const handler = await load();

    await handler(asVisitor());

    expect(ddb.calls()).toHaveLength(1);
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'chat-table',
      Key: { pk: `ROOM#${ROOM_ID}`, sk: 'ROOM' },
      ConsistentRead: true,
    });
  });

  it('answers a closed room with 200 and is_active false', async () => {
    ddb.on(GetCommand).resolves({ Item: roomItem({ isActive: false, updatedAt: '2026-02-05T12:00:00.000Z' }) });
    const handler = await load();

    const result = await handler(asVisitor());

    expect(result.statusCode).toBe(200);
    expect(jsonBody(result)).toEqual({ ...ROOM_VIEW, is_active: false, updated_at: '2026-02-05T12:00:00.000Z' });
  });

  it('routes the path without the trailing slash too', async () => {
    const handler = await load();

    expect((await handler(asVisitor(`/api/chat/rooms/${ROOM_ID}`))).statusCode).toBe(200);
  });

  it.each([
    [`/api/chat/rooms/${ROOM_ID}/x/y`],
    [`/api/chat/rooms/${ROOM_ID}/x`],
    [`/api/chat/rooms/${ROOM_ID}//`],
    [`/api/chat/rooms/${ROOM_ID}/messages/`],
    [`/api/chat/rooms/${ROOM_ID}/close/`],
    ['/api/chat/rooms/'],
  ])('answers %s, which is not its path, with 404 and reads nothing', async (path) => {
    const handler = await load();

    const result = await handler(asVisitor(path));

    expect(result.statusCode).toBe(404);
    expect(jsonBody(result)).toEqual({ detail: 'Not found.' });
    expect(ddb.calls()).toHaveLength(0);
  });

  it.each([['POST'], ['DELETE'], ['PUT']])('answers %s with 405, an allow header and a detail', async (method) => {
    const handler = await load();

    const result = await handler(httpEvent({ method, path: PATH }));

    expect(result.statusCode).toBe(405);
    expect(result.headers).toMatchObject({ allow: 'GET' });
    expect(jsonBody(result)).toEqual({ detail: `Method "${method}" not allowed.` });
  });

  it('answers a request without credentials with 401 and a detail', async () => {
    const handler = await load();

    const result = await handler(httpEvent({ method: 'GET', path: PATH }));

    expect(result.statusCode).toBe(401);
    expect(jsonBody(result)).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  it('answers an expired owner token with 401, the sign to refresh it', async () => {
    const handler = await load();
    const token = await signAccessToken({ user_id: OWNER_A }, { expiresInSeconds: -3600 });

    const result = await handler(
      httpEvent({ method: 'GET', path: PATH, headers: { authorization: `Bearer ${token}` } }),
    );

    expect(result.statusCode).toBe(401);
  });

  it('answers another owner with 403', async () => {
    const handler = await load();

    const result = await handler(await asOwner(OWNER_B));

    expect(result.statusCode).toBe(403);
    expect(jsonBody(result)).toEqual({ detail: expect.any(String) });
  });

  it('answers the visitor token of another room with 403', async () => {
    const handler = await load();

    expect((await handler(asVisitor(PATH, UNKNOWN_UUID))).statusCode).toBe(403);
  });

  it('answers an unknown room with 404, for the owner and for a visitor', async () => {
    const handler = await load();
    const path = `/api/chat/rooms/${UNKNOWN_UUID}/`;

    expect((await handler(await asOwner(OWNER_A, path))).statusCode).toBe(404);
    expect((await handler(asVisitor(path))).statusCode).toBe(404);
  });

  it('answers a malformed room id with 404', async () => {
    const handler = await load();

    expect((await handler(asVisitor('/api/chat/rooms/not-a-room/'))).statusCode).toBe(404);
  });

  it('answers an unexpected DynamoDB failure with a bare 500 that leaks nothing', async () => {
    ddb.on(GetCommand).rejects(new Error('ResourceNotFoundException: chat-table'));
    const handler = await load();

    const result = await handler(asVisitor());

    expect(result.statusCode).toBe(500);
    expect(jsonBody(result)).toEqual({ detail: 'A server error occurred.' });
  });

  it('refuses to load without an owner key source, naming the settings', async () => {
    await expect(
      loadHandler(() => import('../../../../lambdas/handlers/http/get-room.js'), { [envName('jwtSecretArn')]: undefined }),
    ).rejects.toThrow(/JWT_SECRET_ARN and JWT_JWKS_URL/);
  });
});
