import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OWNER_A, ROOM_ID } from '../../support/fixtures.js';
import { loadHandler } from '../../support/handler-env.js';
import { webSocketEvent } from '../../support/lambda-events.js';
import { connectionItem } from '../../support/table-items.js';

const ddb = mockClient(DynamoDBDocumentClient);
const api = mockClient(ApiGatewayManagementApiClient);
const eventBridge = mockClient(EventBridgeClient);

const load = (env: Record<string, string | undefined> = {}) =>
  loadHandler(() => import('../../../../lambdas/handlers/ws/message.js'), env).then((module) => module.handler);

const frame = (body: unknown, connectionId = 'visitor-1') =>
  webSocketEvent({ routeKey: '$default', connectionId, body: typeof body === 'string' ? body : JSON.stringify(body) });

const posted = () =>
  api.commandCalls(PostToConnectionCommand).map((call) => ({
    connectionId: call.args[0].input.ConnectionId,
    payload: JSON.parse(Buffer.from(call.args[0].input.Data as Uint8Array).toString('utf8')),
  }));

beforeEach(() => {
  ddb.reset();
  api.reset();
  eventBridge.reset();
  ddb.on(UpdateCommand).callsFake((input: { Key: { pk: string } }) =>
    input.Key.pk === 'CONN#visitor-1' ? { Attributes: connectionItem('visitor-1') } : {},
  );
  ddb.on(PutCommand).resolves({});
  ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) =>
    input.ExpressionAttributeValues[':conn']
      ? { Items: [{ connection_id: 'visitor-1', role: 'visitor' }, { connection_id: 'owner-1', role: 'owner' }] }
      : { Items: [] },
  );
  ddb.on(DeleteCommand).resolves({});
  api.on(PostToConnectionCommand).resolves({});
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('$default (a frame from a client)', () => {
  it('stores the message and broadcasts the same frame to every socket of the room', async () => {
    const handler = await load();

    const result = await handler(frame({ message: 'Salom' }));

    expect(result).toEqual({ statusCode: 200 });
    const [put] = ddb.commandCalls(PutCommand);
    expect(put?.args[0].input).toMatchObject({
      TableName: 'chat-table',
      Item: { pk: `ROOM#${ROOM_ID}`, content: 'Salom', sender_type: 'visitor' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    const item = put?.args[0].input.Item as Record<string, string>;
    const expected = { id: item.id, room_id: ROOM_ID, sender_type: 'visitor', message: 'Salom', created_at: item.created_at };
    expect(posted()).toEqual([
      { connectionId: 'visitor-1', payload: expected },
      { connectionId: 'owner-1', payload: expected },
    ]);
  });

  it('answers ping with pong after counting it with the one connection UpdateItem, at the arrival time', async () => {
    const handler = await load();
    const event = frame({ type: 'ping' });

    await handler(event);

    expect(posted()).toEqual([{ connectionId: 'visitor-1', payload: { type: 'pong' } }]);
    expect(ddb.calls()).toHaveLength(1);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: 'CONN#visitor-1', sk: 'CONN' },
      ExpressionAttributeValues: { ':now': event.requestContext.requestTimeEpoch },
    });
  });

  it('answers an invalid frame with an error frame and its code, after the one connection UpdateItem', async () => {
    const handler = await load();

    const result = await handler(frame('not json'));

    expect(result).toEqual({ statusCode: 200 });
    expect(posted()).toEqual([{ connectionId: 'visitor-1', payload: { error: 'Frame must be JSON.', code: 'invalid_frame' } }]);
    expect(ddb.calls()).toHaveLength(1);
  });

  it('applies MAX_MESSAGE_LENGTH', async () => {
    const handler = await load({ MAX_MESSAGE_LENGTH: '10' });

    await handler(frame({ message: 'a'.repeat(11) }));

    expect(posted()).toEqual([
      { connectionId: 'visitor-1', payload: { error: 'message must be at most 10 characters.', code: 'message_too_long' } },
    ]);
  });

  it('forgets a socket that is gone, not the sender', async () => {
    api.on(PostToConnectionCommand, { ConnectionId: 'owner-1' }).rejects(new GoneException({ message: '', $metadata: {} }));
    const handler = await load();

    await handler(frame({ message: 'Salom' }));

    const deleted = ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key);
    expect(deleted).toEqual(
      expect.arrayContaining([
        { pk: 'CONN#owner-1', sk: 'CONN' },
        { pk: `ROOM#${ROOM_ID}`, sk: 'CONN#owner-1' },
      ]),
    );
    expect(deleted).toHaveLength(2);
  });

  it('answers a rate-limited sender with an error frame', async () => {
    ddb
      .on(UpdateCommand)
      .rejectsOnce(Object.assign(new Error('failed'), { name: 'ConditionalCheckFailedException' }))
      .resolves({ Attributes: connectionItem('visitor-1') });
    const handler = await load();

    await handler(frame({ message: 'Salom' }));

    expect(posted()).toEqual([
      { connectionId: 'visitor-1', payload: { error: 'Too many frames on this socket; slow down.', code: 'rate_limited' } },
    ]);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('refuses a message to a closed room with room_closed, takes the message back and closes the socket', async () => {
    ddb.on(UpdateCommand).callsFake((input: { Key: { pk: string } }) => {
      if (input.Key.pk === 'CONN#visitor-1') return { Attributes: connectionItem('visitor-1') };
      throw Object.assign(new Error('failed'), { name: 'ConditionalCheckFailedException' });
    });
    ddb.on(GetCommand).resolves({ Item: { is_active: false } });
    api.on(DeleteConnectionCommand).resolves({});
    const handler = await load();

    await handler(frame({ message: 'Salom' }));

    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item as Record<string, string>;
    expect(ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key)).toEqual([{ pk: put.pk, sk: put.sk }]);
    expect(posted()).toEqual([{ connectionId: 'visitor-1', payload: { error: 'This room is closed.', code: 'room_closed' } }]);
    expect(api.commandCalls(DeleteConnectionCommand).map((call) => call.args[0].input.ConnectionId)).toEqual(['visitor-1']);
  });

  it('publishes the push event for a visitor message when EVENT_BUS_NAME is set', async () => {
    const handler = await load({ EVENT_BUS_NAME: 'chat-bus' });

    await handler(frame({ message: 'Salom' }));

    const entries = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries[0]).toMatchObject({ EventBusName: 'chat-bus', Source: 'carchat', DetailType: 'chat.visitor_message' });
    expect(JSON.parse(entries[0]?.Detail ?? '')).toMatchObject({ room_id: ROOM_ID, owner_id: OWNER_A, preview: 'Salom', owner_online: true });
  });

  it('publishes nothing without EVENT_BUS_NAME', async () => {
    const handler = await load();

    await handler(frame({ message: 'Salom' }));

    expect(eventBridge.calls()).toHaveLength(0);
  });

  it('still delivers the message when the push event fails', async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error('AccessDenied'));
    const handler = await load({ EVENT_BUS_NAME: 'chat-bus' });

    const result = await handler(frame({ message: 'Salom' }));

    expect(result).toEqual({ statusCode: 200 });
    expect(posted()).toHaveLength(2);
  });

  it('answers an unexpected DynamoDB failure with an internal error frame carrying the client_id, and no internals', async () => {
    ddb.on(PutCommand).rejects(new Error('InternalServerError at dynamodb.us-east-1.amazonaws.com'));
    const handler = await load();
    const clientId = '6b1e7a8c-9d0f-4a1b-8c2d-3e4f5a6b7c8d';

    const result = await handler(frame({ message: 'Salom', client_id: clientId }));

    expect(result).toEqual({ statusCode: 200 });
    expect(posted()).toEqual([
      { connectionId: 'visitor-1', payload: { error: expect.any(String), code: 'internal', client_id: clientId } },
    ]);
    expect(JSON.stringify(posted())).not.toContain('dynamodb');
  });

  it('answers 500 (API Gateway then tells the client) when even the error frame cannot be posted', async () => {
    ddb.on(UpdateCommand).rejects(new Error('InternalServerError'));
    api.on(PostToConnectionCommand).rejects(new Error('ECONNRESET'));
    const handler = await load();

    const result = await handler(frame({ type: 'ping' }));

    expect(result).toEqual({ statusCode: 500, body: 'Internal server error' });
  });

  describe('configuration', () => {
    it.each(['TABLE_NAME', 'WS_CALLBACK_URL'])('refuses to load without %s, naming it', async (name) => {
      await expect(load({ [name]: undefined })).rejects.toThrow(new RegExp(`${name} is not set`));
    });

    it.each([['0'], ['30001'], ['many']])('refuses to load with MAX_MESSAGE_LENGTH=%s, naming it', async (value) => {
      await expect(load({ MAX_MESSAGE_LENGTH: value })).rejects.toThrow(/MAX_MESSAGE_LENGTH must be an integer from 1 to 30000/);
    });

    it.each([['0'], ['1000001'], ['lots']])('refuses to load with MAX_MESSAGES_PER_ROOM=%s, naming it', async (value) => {
      await expect(load({ MAX_MESSAGES_PER_ROOM: value })).rejects.toThrow(/MAX_MESSAGES_PER_ROOM must be an integer from 1 to 1000000/);
    });

    it('passes MAX_MESSAGES_PER_ROOM to the room count', async () => {
      const handler = await load({ MAX_MESSAGES_PER_ROOM: '7' });

      await handler(frame({ message: 'Salom' }));

      const roomUpdate = ddb.commandCalls(UpdateCommand).find((call) => call.args[0].input.Key?.sk === 'ROOM');
      expect(roomUpdate?.args[0].input.ExpressionAttributeValues).toMatchObject({ ':max': 7 });
    });
  });
});
