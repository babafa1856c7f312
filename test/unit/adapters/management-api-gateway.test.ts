import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  ForbiddenException,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManagementApiGateway } from '../../../lambdas/adapters/management-api-gateway.js';

const api = mockClient(ApiGatewayManagementApiClient);
const gateway = () => new ManagementApiGateway({ endpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod' });

const gone = () => new GoneException({ message: '', $metadata: {} });

beforeEach(() => {
  api.reset();
});

describe('ManagementApiGateway', () => {
  describe('send', () => {
    it('posts the payload as JSON to the connection', async () => {
      api.on(PostToConnectionCommand).resolves({});

      await expect(gateway().send('c-1', { message: 'Salom', n: 1 })).resolves.toBe('sent');

      const [call] = api.commandCalls(PostToConnectionCommand);
      expect(call?.args[0].input.ConnectionId).toBe('c-1');
      expect(JSON.parse(Buffer.from(call?.args[0].input.Data as Uint8Array).toString('utf8'))).toEqual({
        message: 'Salom',
        n: 1,
      });
    });

    it('keeps non-ASCII text intact in the posted bytes', async () => {
      api.on(PostToConnectionCommand).resolves({});

      await gateway().send('c-1', { message: 'Salom, qalaysiz? 🚗' });

      const data = api.commandCalls(PostToConnectionCommand)[0]?.args[0].input.Data as Uint8Array;
      expect(JSON.parse(Buffer.from(data).toString('utf8'))).toEqual({ message: 'Salom, qalaysiz? 🚗' });
    });

    it("answers 'gone' for the SDK's GoneException", async () => {
      api.on(PostToConnectionCommand).rejects(gone());

      await expect(gateway().send('c-1', {})).resolves.toBe('gone');
    });

    it("answers 'gone' for an error that is only named GoneException", async () => {
      api.on(PostToConnectionCommand).rejects(Object.assign(new Error('410'), { name: 'GoneException' }));

      await expect(gateway().send('c-1', {})).resolves.toBe('gone');
    });

    it('rethrows any other error', async () => {
      const forbidden = new ForbiddenException({ message: 'Forbidden', $metadata: {} });
      api.on(PostToConnectionCommand).rejects(forbidden);

      await expect(gateway().send('c-1', {})).rejects.toBe(forbidden);
    });

    it('does not treat an SDK v2 style statusCode 410 as gone: SDK v3 errors carry no statusCode', async () => {
      api
        .on(PostToConnectionCommand)
        .rejects(Object.assign(new Error('Gone'), { name: 'InternalServerError', statusCode: 410 }));

      await expect(gateway().send('c-1', {})).rejects.toThrow('Gone');
    });
  });

  describe('disconnect', () => {
    it('deletes the connection', async () => {
      api.on(DeleteConnectionCommand).resolves({});

      await expect(gateway().disconnect('c-1')).resolves.toBe('closed');

      expect(api.commandCalls(DeleteConnectionCommand).map((call) => call.args[0].input)).toEqual([
        { ConnectionId: 'c-1' },
      ]);
    });

    it('says so when the connection is gone (closed, or its $connect still running)', async () => {
      api.on(DeleteConnectionCommand).rejects(gone());

      await expect(gateway().disconnect('c-1')).resolves.toBe('gone');
    });

    it('rethrows any other error', async () => {
      api.on(DeleteConnectionCommand).rejects(new Error('throttled'));

      await expect(gateway().disconnect('c-1')).rejects.toThrow('throttled');
    });
  });

  it('uses an injected client', async () => {
    const client = new ApiGatewayManagementApiClient({ endpoint: 'https://example.test', region: 'us-east-1' });
    api.on(PostToConnectionCommand).resolves({});

    await new ManagementApiGateway({ endpoint: 'ignored', client }).send('c-1', {});

    expect(api.commandCalls(PostToConnectionCommand)).toHaveLength(1);
  });
});
