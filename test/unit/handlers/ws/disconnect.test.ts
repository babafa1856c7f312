import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROOM_ID } from '../../support/fixtures.js';
import { loadHandler } from '../../support/handler-env.js';
import { webSocketEvent } from '../../support/lambda-events.js';
import { connectionItem } from '../../support/table-items.js';

const ddb = mockClient(DynamoDBDocumentClient);

const load = (env: Record<string, string | undefined> = {}) =>
  loadHandler(() => import('../../../../lambdas/handlers/ws/disconnect.js'), env).then((module) => module.handler);

const disconnectEvent = () => webSocketEvent({ routeKey: '$disconnect', connectionId: 'conn-1' });

beforeEach(() => {
  ddb.reset();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('$disconnect', () => {
  it('deletes the connection row and its room membership', async () => {
    ddb.on(DeleteCommand).resolvesOnce({ Attributes: connectionItem('conn-1') }).resolves({});
    const handler = await load();

    const result = await handler(disconnectEvent());

    expect(result).toEqual({ statusCode: 200 });
    expect(ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key)).toEqual([
      { pk: 'CONN#conn-1', sk: 'CONN' },
      { pk: `ROOM#${ROOM_ID}`, sk: 'CONN#conn-1' },
    ]);
  });

  it('answers 200 for a connection that was already cleaned up', async () => {
    ddb.on(DeleteCommand).resolves({});
    const handler = await load();

    expect(await handler(disconnectEvent())).toEqual({ statusCode: 200 });
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(1);
  });

  it('answers an unexpected DynamoDB failure with 500 and no internals', async () => {
    ddb.on(DeleteCommand).rejects(new Error('ProvisionedThroughputExceededException on chat-table'));
    const handler = await load();

    expect(await handler(disconnectEvent())).toEqual({ statusCode: 500, body: 'Internal server error' });
  });

  it('needs neither the callback URL nor the JWT settings', async () => {
    await expect(load({ WS_CALLBACK_URL: undefined, JWT_SECRET_ARN: undefined, WS_URL_TEMPLATE: undefined })).resolves.toBeTypeOf(
      'function',
    );
  });

  it('refuses to load without TABLE_NAME, naming it', async () => {
    await expect(load({ TABLE_NAME: undefined })).rejects.toThrow(/TABLE_NAME is not set/);
  });
});
