import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OWNER_A, OWNER_B, ROOM_ID, VISITOR_TOKEN } from '../../support/fixtures.js';
import { loadHandler } from '../../support/handler-env.js';
import { signAccessToken, TEST_JWT_SECRET } from '../../support/jwt.js';
import { httpEvent, jsonBody } from '../../support/lambda-events.js';
import { roomItem } from '../../support/table-items.js';

const ddb = mockClient(DynamoDBDocumentClient);
const api = mockClient(ApiGatewayManagementApiClient);
const secrets = mockClient(SecretsManagerClient);

const load = () => loadHandler(() => import('../../../../lambdas/handlers/http/close-room.js')).then((module) => module.handler);

const PATH = `/api/chat/rooms/${ROOM_ID}/close/`;
const closeAs = async (ownerId = OWNER_A, path = PATH) =>
  httpEvent({ method: 'POST', path, headers: { authorization: `Bearer ${await signAccessToken({ user_id: ownerId })}` } });

const posted = () =>
  api.commandCalls(PostToConnectionCommand).map((call) => ({
    connectionId: call.args[0].input.ConnectionId,
    payload: JSON.parse(Buffer.from(call.args[0].input.Data as Uint8Array).toString('utf8')),
  }));

beforeEach(() => {
  ddb.reset();
  api.reset();
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: TEST_JWT_SECRET });
  ddb.on(GetCommand).resolves({ Item: roomItem() });
  ddb.on(UpdateCommand).callsFake((input: { ExpressionAttributeValues: Record<string, unknown> }) => ({
    Attributes: roomItem({ isActive: false, updatedAt: input.ExpressionAttributeValues[':at'] as string }),
  }));
  ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) =>
    input.ExpressionAttributeValues[':conn']
      ? { Items: [{ connection_id: 'visitor-1', role: 'visitor' }, { connection_id: 'owner-1', role: 'owner' }] }
      : { Items: [{ connection_id: 'inbox-1' }] },
  );
  ddb.on(DeleteCommand).resolves({});
  api.on(PostToConnectionCommand).resolves({});
  api.on(DeleteConnectionCommand).resolves({});
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('POST /api/chat/rooms/<room_id>/close/', () => {
  it('answers 200 with the closed room', async () => {
    const handler = await load();

    const result = await handler(await closeAs());

    expect(result.statusCode).toBe(200);
    expect(jsonBody(result)).toMatchObject({ id: ROOM_ID, owner_id: OWNER_A, is_active: false });
  });

  it('tells the room sockets, disconnects them and updates the inbox', async () => {
    const handler = await load();

    const result = await handler(await closeAs());

    expect(posted()).toEqual(
      expect.arrayContaining([
        { connectionId: 'visitor-1', payload: { type: 'room.closed', room_id: ROOM_ID } },
        { connectionId: 'owner-1', payload: { type: 'room.closed', room_id: ROOM_ID } },
        { connectionId: 'inbox-1', payload: { type: 'room.updated', room: jsonBody(result) } },
      ]),
    );
    expect(api.commandCalls(DeleteConnectionCommand).map((call) => call.args[0].input.ConnectionId).sort()).toEqual([
      'owner-1',
      'visitor-1',
    ]);
    expect(ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key)).toEqual(
      expect.arrayContaining([
        { pk: 'CONN#visitor-1', sk: 'CONN' },
        { pk: `ROOM#${ROOM_ID}`, sk: 'CONN#visitor-1' },
        { pk: 'CONN#owner-1', sk: 'CONN' },
        { pk: `ROOM#${ROOM_ID}`, sk: 'CONN#owner-1' },
      ]),
    );
  });

  it('routes the path without the trailing slash too', async () => {
    const handler = await load();

    expect((await handler(await closeAs(OWNER_A, `/api/chat/rooms/${ROOM_ID}/close`))).statusCode).toBe(200);
  });

  it('answers an extra path segment with 404 and a detail', async () => {
    const handler = await load();

    const result = await handler(await closeAs(OWNER_A, `${PATH}now/`));

    expect(result.statusCode).toBe(404);
    expect(jsonBody(result)).toEqual({ detail: 'Not found.' });
  });

  it('answers GET with 405, an allow header and a detail', async () => {
    const handler = await load();

    const result = await handler(httpEvent({ method: 'GET', path: PATH }));

    expect(result.statusCode).toBe(405);
    expect(result.headers).toMatchObject({ allow: 'POST' });
    expect(jsonBody(result)).toEqual({ detail: 'Method "GET" not allowed.' });
  });

  it('answers the visitor token alone with 401: only the owner closes', async () => {
    const handler = await load();

    const result = await handler(httpEvent({ method: 'POST', path: PATH, query: { visitor: VISITOR_TOKEN } }));

    expect(result.statusCode).toBe(401);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('answers another owner with 403 and closes nothing', async () => {
    const handler = await load();

    const result = await handler(await closeAs(OWNER_B));

    expect(result.statusCode).toBe(403);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(api.calls()).toHaveLength(0);
  });

  it('answers an unexpected DynamoDB failure with a bare 500 that leaks nothing', async () => {
    ddb.on(UpdateCommand).rejects(new Error('ItemCollectionSizeLimitExceededException'));
    const handler = await load();

    const result = await handler(await closeAs());

    expect(result.statusCode).toBe(500);
    expect(jsonBody(result)).toEqual({ detail: 'A server error occurred.' });
  });

  it('refuses to load without WS_CALLBACK_URL, naming it', async () => {
    await expect(
      loadHandler(() => import('../../../../lambdas/handlers/http/close-room.js'), { WS_CALLBACK_URL: undefined }),
    ).rejects.toThrow(/WS_CALLBACK_URL is not set/);
  });
});
