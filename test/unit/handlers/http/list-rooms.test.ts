import { envName } from '../../../../lambdas/config/settings-contract.js';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NO_ACTIVITY, OTHER_ROOM_ID, OWNER_A, ROOM_ID } from '../../support/fixtures.js';
import { loadHandler } from '../../support/handler-env.js';
import { signAccessToken, TEST_JWT_SECRET } from '../../support/jwt.js';
import { httpEvent, jsonBody } from '../../support/lambda-events.js';
import { roomItem } from '../../support/table-items.js';

const ddb = mockClient(DynamoDBDocumentClient);
const secrets = mockClient(SecretsManagerClient);

const load = (env: Record<string, string | undefined> = {}) =>
  loadHandler(() => import('../../../../lambdas/handlers/http/list-rooms.js'), env).then((module) => module.handler);

const get = async (path = '/api/chat/rooms/', token?: string) =>
  httpEvent({
    method: 'GET',
    path,
    headers: { authorization: `Bearer ${token ?? (await signAccessToken({ user_id: OWNER_A }))}` },
  });

beforeEach(() => {
  ddb.reset();
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: TEST_JWT_SECRET });
  ddb.on(QueryCommand).resolves({
    Items: [roomItem({ id: OTHER_ROOM_ID, updatedAt: '2026-02-05T11:05:00.000Z' }), roomItem()],
  });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('GET /api/chat/rooms/', () => {
  it("answers 200 with the owner's rooms in the shape of docs/api.md, newest first", async () => {
    const handler = await load();

    const result = await handler(await get());

    expect(result.statusCode).toBe(200);
    expect(jsonBody(result)).toEqual([
      {
        id: OTHER_ROOM_ID,
        owner_id: OWNER_A,
        visitor_name: 'Aziz',
        is_active: true,
        created_at: '2026-02-05T11:00:00.000Z',
        updated_at: '2026-02-05T11:05:00.000Z',
        ...NO_ACTIVITY,
      },
      {
        id: ROOM_ID,
        owner_id: OWNER_A,
        visitor_name: 'Aziz',
        is_active: true,
        created_at: '2026-02-05T11:00:00.000Z',
        updated_at: '2026-02-05T11:00:00.000Z',
        ...NO_ACTIVITY,
      },
    ]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'chat-table',
      IndexName: 'by-owner',
      ExpressionAttributeValues: { ':owner': `OWNER#${OWNER_A}` },
    });
  });

  it('routes the path without the trailing slash too', async () => {
    const handler = await load();

    expect((await handler(await get('/api/chat/rooms'))).statusCode).toBe(200);
  });

  it('answers an extra path segment with 404 and a detail', async () => {
    const handler = await load();

    const result = await handler(await get(`/api/chat/rooms/${ROOM_ID}/`));

    expect(result.statusCode).toBe(404);
    expect(jsonBody(result)).toEqual({ detail: 'Not found.' });
  });

  it('answers POST with 405, an allow header and a detail', async () => {
    const handler = await load();

    const result = await handler(httpEvent({ method: 'POST', path: '/api/chat/rooms/' }));

    expect(result.statusCode).toBe(405);
    expect(result.headers).toMatchObject({ allow: 'GET' });
    expect(jsonBody(result)).toEqual({ detail: 'Method "POST" not allowed.' });
  });

  it('answers a request without credentials with 401 and a detail', async () => {
    const handler = await load();

    const result = await handler(httpEvent({ method: 'GET', path: '/api/chat/rooms/' }));

    expect(result.statusCode).toBe(401);
    expect(jsonBody(result)).toEqual({ detail: 'Authentication credentials were not provided.' });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers an expired token with 401', async () => {
    const handler = await load();
    const token = await signAccessToken({ user_id: OWNER_A }, { expiresInSeconds: -3600 });

    const result = await handler(await get('/api/chat/rooms/', token));

    expect(result.statusCode).toBe(401);
    expect(jsonBody(result)).toEqual({ detail: 'Token is expired.' });
  });

  it('answers a refresh token with 401', async () => {
    const handler = await load();
    const token = await signAccessToken({ user_id: OWNER_A, token_type: 'refresh' });

    expect((await handler(await get('/api/chat/rooms/', token))).statusCode).toBe(401);
  });

  it('reads the signing secret once for the life of the module', async () => {
    const handler = await load();

    for (let i = 0; i < 3; i += 1) await handler(await get());

    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('answers a Secrets Manager outage with a bare 500, and recovers on the next request', async () => {
    secrets.reset();
    secrets.on(GetSecretValueCommand).rejectsOnce(new Error('AccessDeniedException: not allowed')).resolves({ SecretString: TEST_JWT_SECRET });
    const handler = await load();

    const failed = await handler(await get());
    const recovered = await handler(await get());

    expect(failed.statusCode).toBe(500);
    expect(failed.body).toBe(JSON.stringify({ detail: 'A server error occurred.' }));
    expect(recovered.statusCode).toBe(200);
  });

  it('answers an unexpected DynamoDB failure with a bare 500 that leaks nothing', async () => {
    ddb.on(QueryCommand).rejects(new Error('ValidationException: index by-owner missing on chat-table'));
    const handler = await load();

    const result = await handler(await get());

    expect(result.statusCode).toBe(500);
    expect(jsonBody(result)).toEqual({ detail: 'A server error occurred.' });
  });

  it('reads the owner id from JWT_OWNER_CLAIM', async () => {
    const handler = await load({ [envName('jwtOwnerClaim')]: 'sub' });

    const result = await handler(await get('/api/chat/rooms/', await signAccessToken({ sub: OWNER_A })));

    expect(result.statusCode).toBe(200);
  });

  describe('configuration', () => {
    it('refuses to load without TABLE_NAME, naming it', async () => {
      await expect(load({ [envName('tableName')]: undefined })).rejects.toThrow(/TABLE_NAME is not set/);
    });

    it('refuses to load without an owner key source, naming the settings', async () => {
      await expect(load({ [envName('jwtSecretArn')]: undefined })).rejects.toThrow(/JWT_SECRET_ARN and JWT_JWKS_URL/);
    });

    it('refuses to load with both owner key sources', async () => {
      await expect(load({ [envName('jwtJwksUrl')]: 'https://auth.example/.well-known/jwks.json' })).rejects.toThrow(
        /exactly one of JWT_SECRET_ARN and JWT_JWKS_URL/,
      );
    });
  });
});
