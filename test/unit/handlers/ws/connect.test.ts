import { environmentOf, envName } from '../../../../lambdas/config/settings-contract.js';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OWNER_A, OWNER_B, ROOM_ID, UNKNOWN_UUID, VISITOR_TOKEN } from '../../support/fixtures.js';
import { loadHandler } from '../../support/handler-env.js';
import { signAccessToken, TEST_JWT_SECRET } from '../../support/jwt.js';
import { webSocketEvent } from '../../support/lambda-events.js';
import { roomItem } from '../../support/table-items.js';

const ddb = mockClient(DynamoDBDocumentClient);
const secrets = mockClient(SecretsManagerClient);

const load = (env: Record<string, string | undefined> = {}) =>
  loadHandler(() => import('../../../../lambdas/handlers/ws/connect.js'), env).then((module) => module.handler);

const CONNECTED_AT = 1_770_289_200_000;
const connectEvent = (query?: Record<string, string>) =>
  webSocketEvent({ routeKey: '$connect', connectionId: 'conn-1', connectedAt: CONNECTED_AT, query });

beforeEach(() => {
  ddb.reset();
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: TEST_JWT_SECRET });
  ddb.on(GetCommand).callsFake((input: { Key: { pk: string } }) =>
    input.Key.pk === `ROOM#${ROOM_ID}` ? { Item: roomItem() } : {},
  );
  ddb.on(PutCommand).resolves({});
  // The re-check after the write finds the room's membership rows as they were written.
  ddb.on(QueryCommand).callsFake(() => ({
    Items: ddb
      .commandCalls(PutCommand)
      .map((call) => call.args[0].input.Item as Record<string, unknown>)
      .filter((item) => item.pk === `ROOM#${ROOM_ID}`),
  }));
  ddb.on(DeleteCommand).resolves({});
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('$connect', () => {
  it('accepts the visitor with its token and remembers the socket until the TTL', async () => {
    const handler = await load();

    const result = await handler(connectEvent({ room: ROOM_ID, visitor: VISITOR_TOKEN }));

    expect(result).toEqual({ statusCode: 200 });
    const items = ddb.commandCalls(PutCommand).map((call) => call.args[0].input.Item);
    expect(items).toEqual([
      expect.objectContaining({ pk: 'CONN#conn-1', kind: 'room', role: 'visitor', room_id: ROOM_ID, expires_at: CONNECTED_AT / 1000 + 3 * 3600 }),
      expect.objectContaining({ pk: `ROOM#${ROOM_ID}`, sk: 'CONN#conn-1', role: 'visitor' }),
    ]);
  });

  it('keeps connection rows for the connectionTtlSeconds setting', async () => {
    const handler = await load(environmentOf({ connectionTtlSeconds: 9000 }));

    await handler(connectEvent({ room: ROOM_ID, visitor: VISITOR_TOKEN }));

    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({ expires_at: CONNECTED_AT / 1000 + 9000 });
  });

  it('accepts the owner with a JWT in the token parameter', async () => {
    const handler = await load();

    const result = await handler(connectEvent({ room: ROOM_ID, token: await signAccessToken({ user_id: OWNER_A }) }));

    expect(result).toEqual({ statusCode: 200 });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({ role: 'owner' });
  });

  it('accepts the owner inbox', async () => {
    const handler = await load();

    const result = await handler(connectEvent({ inbox: '1', token: await signAccessToken({ user_id: OWNER_A }) }));

    expect(result).toEqual({ statusCode: 200 });
    expect(ddb.commandCalls(PutCommand)[1]?.args[0].input.Item).toMatchObject({ pk: `OWNER#${OWNER_A}`, sk: 'INBOX#conn-1' });
  });

  describe('refuses the handshake with the typed status and stores nothing', () => {
    it.each([
      ['no query at all', undefined, 400],
      ['a malformed room id', { room: 'lobby', visitor: VISITOR_TOKEN }, 400],
      ['no credentials', { room: ROOM_ID }, 401],
      ['a wrong visitor token', { room: ROOM_ID, visitor: UNKNOWN_UUID }, 403],
      ['an unknown room', { room: UNKNOWN_UUID, visitor: VISITOR_TOKEN }, 403],
    ])('%s', async (_case, query, status) => {
      const handler = await load();

      const result = await handler(connectEvent(query));

      expect(result).toMatchObject({ statusCode: status });
      expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    });

    it('another owner: 403', async () => {
      const handler = await load();

      const result = await handler(connectEvent({ room: ROOM_ID, token: await signAccessToken({ user_id: OWNER_B }) }));

      expect(result).toMatchObject({ statusCode: 403 });
      expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    });

    it('an expired owner token: 401', async () => {
      const handler = await load();
      const token = await signAccessToken({ user_id: OWNER_A }, { expiresInSeconds: -3600 });

      const result = await handler(connectEvent({ room: ROOM_ID, token }));

      expect(result).toMatchObject({ statusCode: 401 });
      expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    });

    it('a closed room: 403', async () => {
      ddb.on(GetCommand).resolves({ Item: roomItem({ isActive: false }) });
      const handler = await load();

      const result = await handler(connectEvent({ room: ROOM_ID, visitor: VISITOR_TOKEN }));

      expect(result).toMatchObject({ statusCode: 403 });
      expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    });
  });

  describe('re-checks the room after writing its rows', () => {
    it('a room closed meanwhile: 403, and its own rows are deleted again', async () => {
      ddb.on(GetCommand).resolvesOnce({ Item: roomItem() }).resolves({ Item: roomItem({ isActive: false }) });
      const handler = await load();

      const result = await handler(connectEvent({ room: ROOM_ID, visitor: VISITOR_TOKEN }));

      expect(result).toMatchObject({ statusCode: 403 });
      expect(ddb.commandCalls(GetCommand).at(-1)?.args[0].input).toMatchObject({ Key: { pk: `ROOM#${ROOM_ID}`, sk: 'ROOM' }, ConsistentRead: true });
      expect(ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key)).toEqual([
        { pk: 'CONN#conn-1', sk: 'CONN' },
        { pk: `ROOM#${ROOM_ID}`, sk: 'CONN#conn-1' },
      ]);
    });

    it('a socket beyond SOCKETS_PER_ROOM_MEMBER: 429, and its own rows are deleted again', async () => {
      const earlier = [1, 2].map((n) => ({ pk: `ROOM#${ROOM_ID}`, sk: `CONN#old-${n}`, connection_id: `old-${n}`, role: 'visitor', connected_at: CONNECTED_AT - n }));
      ddb.on(QueryCommand).resolves({
        Items: [...earlier, { pk: `ROOM#${ROOM_ID}`, sk: 'CONN#conn-1', connection_id: 'conn-1', role: 'visitor', connected_at: CONNECTED_AT }],
      });
      const handler = await load({ [envName('socketsPerRoomMember')]: '2' });

      const result = await handler(connectEvent({ room: ROOM_ID, visitor: VISITOR_TOKEN }));

      expect(result).toMatchObject({ statusCode: 429 });
      expect(ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key)).toEqual([
        { pk: 'CONN#conn-1', sk: 'CONN' },
        { pk: `ROOM#${ROOM_ID}`, sk: 'CONN#conn-1' },
      ]);
    });

    it.each(['0', '51', 'five'])('refuses to load with SOCKETS_PER_ROOM_MEMBER=%s, naming it', async (value) => {
      await expect(load({ [envName('socketsPerRoomMember')]: value })).rejects.toThrow(/SOCKETS_PER_ROOM_MEMBER/);
    });
  });

  it('answers an unexpected DynamoDB failure with 500 and no internals', async () => {
    ddb.on(PutCommand).rejects(new Error('AccessDeniedException: arn:aws:iam::123456789012:role/chat is not authorized'));
    const handler = await load();

    const result = await handler(connectEvent({ room: ROOM_ID, visitor: VISITOR_TOKEN }));

    expect(result).toEqual({ statusCode: 500, body: 'Internal server error' });
  });

  it('refuses to load without TABLE_NAME, naming it', async () => {
    await expect(load({ [envName('tableName')]: undefined })).rejects.toThrow(/TABLE_NAME is not set/);
  });
});
