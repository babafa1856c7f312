import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiGatewayManagementApiClient,
  GetConnectionCommand,
  GoneException,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { LocalStackError } from '../../local/errors.js';
import { resolveEnvironment, type LocalValues } from '../../local/environment.js';
import { startLocalStack } from '../../local/local-stack.js';
import { signOwnerToken } from '../../local/owner-token.js';
import { localClientConfig } from './support/dynamodb-backend.js';
import { useLocalStack } from './support/local-stack-fixture.js';
import { openSocket, refusalOf, type TestSocket } from './support/ws-client.js';

const local = useLocalStack({
  unspecifiedTraffic: [
    {
      reason: 'the management API test posts its own {"hello":1} to a socket, as a function would post any frame',
      frame: ({ data }) => data === '{"hello":1}',
    },
  ],
});

async function startChat(ownerId: string, path = '/api/chat/start/') {
  const response = await fetch(`${local.stack.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: ownerId, visitor_name: 'Ali' }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { room_id: string; visitor_token: string; ws_path: string; ws_url: string };
}

const roomUrl = (roomId: string, query: string, slash = '/') =>
  `${local.stack.wsUrl}/ws/chat/${roomId}${slash}?${query}`;

/** The connection ids DynamoDB holds (the clients never learn their own). */
async function storedConnectionIds(): Promise<string[]> {
  const client = new DynamoDBClient(localClientConfig(local.stack.dynamoDbEndpoint));
  const { Items = [] } = await client.send(
    new ScanCommand({ TableName: Object.values(local.stack.served.tables)[0]! }),
  );
  client.destroy();
  return Items.filter((item) => item.sk?.S === 'CONN').map((item) => item.connection_id!.S!);
}

describe("the clients' flow (docs/api.md)", () => {
  it('starts a chat, broadcasts a visitor message to both sockets and keeps it in the history', async () => {
    const ownerId = randomUUID();
    const room = await startChat(ownerId);
    expect(room.ws_path).toBe(`/ws/chat/${room.room_id}/`);
    expect(room.ws_url).toBe(`${local.stack.wsUrl}/ws/chat/${room.room_id}/`);

    const token = await signOwnerToken(ownerId, local.stack.jwtSecret);
    const visitor = await openSocket(roomUrl(room.room_id, `visitor=${room.visitor_token}`));
    const owner = await openSocket(roomUrl(room.room_id, `token=${token}`));

    visitor.ws.send(JSON.stringify({ message: 'Salom' }));
    const [toVisitor, toOwner] = (await Promise.all([visitor.next(), owner.next()])) as Record<string, unknown>[];
    expect(toOwner).toEqual(toVisitor);
    expect(Object.keys(toVisitor!).sort()).toEqual(['created_at', 'id', 'message', 'room_id', 'sender_type']);
    expect(toVisitor).toMatchObject({ room_id: room.room_id, sender_type: 'visitor', message: 'Salom' });
    expect(new Date(String(toVisitor!.created_at)).toISOString()).toBe(toVisitor!.created_at);

    const expected = { id: toVisitor!.id, room_id: room.room_id, sender_type: 'visitor', content: 'Salom' };
    const asOwner = await fetch(`${local.stack.httpUrl}/api/chat/rooms/${room.room_id}/messages/`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(asOwner.status).toBe(200);
    expect(await asOwner.json()).toEqual([expect.objectContaining(expected)]);
    const asVisitor = await fetch(
      `${local.stack.httpUrl}/api/chat/rooms/${room.room_id}/messages/?visitor=${room.visitor_token}`,
    );
    expect(asVisitor.status).toBe(200);
    expect(await asVisitor.json()).toEqual([expect.objectContaining(expected)]);

    const rooms = await fetch(`${local.stack.httpUrl}/api/chat/rooms/`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await rooms.json()).toEqual([
      expect.objectContaining({ id: room.room_id, owner_id: ownerId, visitor_name: 'Ali', is_active: true }),
    ]);

    // The push hook reached the EventBridge stub.
    expect(local.gatewayLines.some((line) => line.includes('PutEvents') && line.includes(String(toVisitor!.id)))).toBe(
      true,
    );
    visitor.ws.close();
    owner.ws.close();
  });

  it('serves every path with and without the trailing slash', async () => {
    const ownerId = randomUUID();
    const room = await startChat(ownerId, '/api/chat/start');
    const token = await signOwnerToken(ownerId, local.stack.jwtSecret);
    const auth = { authorization: `Bearer ${token}` };
    for (const path of [
      '/api/chat/rooms',
      '/api/chat/rooms/',
      `/api/chat/rooms/${room.room_id}/messages`,
      `/api/chat/rooms/${room.room_id}/messages/`,
    ]) {
      expect((await fetch(`${local.stack.httpUrl}${path}`, { headers: auth })).status, path).toBe(200);
    }
    const socket = await openSocket(roomUrl(room.room_id, `visitor=${room.visitor_token}`, ''));
    socket.ws.send(JSON.stringify({ type: 'ping' }));
    expect(await socket.next()).toEqual({ type: 'pong' });
    socket.ws.close();
    const inbox = await openSocket(`${local.stack.wsUrl}/ws/inbox?token=${token}`);
    inbox.ws.close();
  });
});

describe('the HTTP API', () => {
  it("answers an unknown route with API Gateway's 404", async () => {
    const response = await fetch(`${local.stack.httpUrl}/api/chat`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
  });

  it('lets the handler refuse a path its route only catches, and a wrong method', async () => {
    const notFound = await fetch(`${local.stack.httpUrl}/api/chat/start/extra/`, { method: 'POST', body: '{}' });
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ detail: 'Not found.' });
    const wrongMethod = await fetch(`${local.stack.httpUrl}/api/chat/start/`);
    expect(wrongMethod.status).toBe(405);
  });

  it("answers a cross-origin preflight from the template's CORS configuration (any origin by default), never through a function", async () => {
    const preflight = await fetch(`${local.stack.httpUrl}/api/chat/rooms/`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://app.test',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const response = await fetch(`${local.stack.httpUrl}/api/chat/rooms/`, { headers: { origin: 'http://app.test' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-expose-headers')).toBe('retry-after,link');
    // An OPTIONS that is not a preflight matches no route: API Gateway's 404, not the function's 405.
    const bare = await fetch(`${local.stack.httpUrl}/api/chat/rooms/`, { method: 'OPTIONS' });
    expect(bare.status).toBe(404);
    expect(await bare.json()).toEqual({ message: 'Not Found' });
  });
});

describe('the WebSocket handshake', () => {
  it('is refused with the status $connect returns', async () => {
    const room = await startChat(randomUUID());
    expect(await refusalOf(roomUrl(room.room_id, `visitor=${randomUUID()}`))).toBe('handshake refused: 403');
    expect(await refusalOf(roomUrl(room.room_id, ''))).toBe('handshake refused: 401');
  });

  it('is refused with 404 by the front door for paths it does not map', async () => {
    expect(await refusalOf(`${local.stack.wsUrl}/ws/other/`)).toBe('handshake refused: 404');
    expect(await refusalOf(`${local.stack.wsUrl}/ws/chat/not-a-uuid/?visitor=x`)).toBe('handshake refused: 404');
    expect(await refusalOf(`${local.stack.wsUrl}/prod?room=${randomUUID()}`)).toBe('handshake refused: 404');
  });
});

describe('the management API (on the loopback services server)', () => {
  it('answers 410 GoneException for an unknown connection, as the SDK expects', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const response = await fetch(
        `${local.stack.servicesUrl}/@connections/${encodeURIComponent('L0SM9cOFvHcCIhw=')}`,
        {
          method,
          body: method === 'POST' ? '{}' : undefined,
        },
      );
      expect(response.status, method).toBe(410);
      expect(response.headers.get('x-amzn-errortype')).toBe('GoneException');
      expect(await response.json()).toEqual({ message: expect.any(String) });
    }
    const client = new ApiGatewayManagementApiClient(localClientConfig(local.stack.servicesUrl));
    await expect(client.send(new GetConnectionCommand({ ConnectionId: 'gone/+=' }))).rejects.toBeInstanceOf(
      GoneException,
    );
    client.destroy();
  });

  it('describes, posts to and deletes a live connection; the delete fires $disconnect', async () => {
    const room = await startChat(randomUUID());
    const before = new Set(await storedConnectionIds());
    const socket = await openSocket(roomUrl(room.room_id, `visitor=${room.visitor_token}`));
    const [connectionId] = (await storedConnectionIds()).filter((id) => !before.has(id));
    const at = `${local.stack.servicesUrl}/@connections/${encodeURIComponent(connectionId!)}`;

    const info = await fetch(at);
    expect(info.status).toBe(200);
    expect(await info.json()).toEqual({
      ConnectedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      Identity: { SourceIp: '127.0.0.1', UserAgent: expect.any(String) },
      LastActiveAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect((await fetch(at, { method: 'POST', body: '{"hello":1}' })).status).toBe(200);
    expect(await socket.next()).toEqual({ hello: 1 });
    // Any other frame outside docs/asyncapi.yaml is caught by the fixture, naming the frame.
    expect((await fetch(at, { method: 'POST', body: '{"hello":2}' })).status).toBe(200);
    expect(await socket.next((frame) => (frame as { hello?: number }).hello === 2)).toEqual({ hello: 2 });
    expect(local.specViolations.splice(0)).toEqual([
      expect.stringMatching(/^frame on a room socket: room frame matches no documented receive message: \{"hello":2\}/),
    ]);

    expect((await fetch(at, { method: 'DELETE' })).status).toBe(204);
    expect((await socket.closed).code).toBe(1000);
    await expect.poll(storedConnectionIds).not.toContain(connectionId);
    expect((await fetch(at)).status).toBe(410);
  });
});

describe("API Gateway's frame and message limits", () => {
  it('closes the connection with 1009 on a frame over 32 KB', async () => {
    const room = await startChat(randomUUID());
    const socket = await openSocket(roomUrl(room.room_id, `visitor=${room.visitor_token}`));
    socket.ws.send(JSON.stringify({ message: 'x'.repeat(33 * 1024) }));
    expect((await socket.closed).code).toBe(1009);
  });

  it('takes a 90 KB message in 30 KB fragments but closes with 1009 past 128 KB', async () => {
    const room = await startChat(randomUUID());
    const socket = await openSocket(roomUrl(room.room_id, `visitor=${room.visitor_token}`));
    const body = JSON.stringify({ message: 'x'.repeat(90 * 1024) });
    const fragments = (text: string) => text.match(/[\s\S]{1,30720}/g)!;
    const sendFragments = (ws: TestSocket, parts: string[]) => {
      for (const [i, part] of parts.entries()) ws.ws.send(part, { fin: i === parts.length - 1 });
    };
    sendFragments(socket, fragments(body));
    expect(await socket.next()).toEqual({ error: expect.stringContaining('at most'), code: 'message_too_long' });

    sendFragments(socket, fragments('x'.repeat(150 * 1024)));
    expect((await socket.closed).code).toBe(1009);
  });
});

describe('one local stack per process', () => {
  it('refuses a second start, since the bundles keep their first configuration', async () => {
    await expect(startLocalStack({ port: 0, dynamodb: 'memory', log: () => undefined })).rejects.toThrow(
      /already started/,
    );
  });
});

describe('the drift guard', () => {
  const values: LocalValues = {
    region: 'us-east-1',
    accountId: '000000000000',
    stackName: 'Fake',
    stackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/Fake/1234',
    refs: { Table: 'Fake-Table' },
    byName: { WS_CALLBACK_URL: 'http://127.0.0.1:1' },
  };
  const fakeFunction = (environment: Record<string, unknown>) => ({
    logicalId: 'Fn',
    assetDir: '/nowhere',
    modulePath: '/nowhere/index.mjs',
    exportName: 'handler',
    timeoutSeconds: 3,
    memoryMb: 128,
    architecture: 'arm64',
    runtime: 'nodejs24.x',
    environment,
    actions: [],
  });
  const resourceTypes = new Map([
    ['Table', 'AWS::DynamoDB::Table'],
    ['Queue', 'AWS::SQS::Queue'],
  ]);

  it('resolves literals, local Refs, joins, selects and the variables mapped by name', () => {
    const { merged } = resolveEnvironment(
      {
        functions: new Map([
          [
            'Fn',
            fakeFunction({
              TABLE_NAME: { Ref: 'Table' },
              LIMIT: '5',
              WS_CALLBACK_URL: { 'Fn::Join': ['', ['https://', { Ref: 'Api' }, '/prod']] },
              ARN: { 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, { Ref: 'AWS::Region' }]] },
              STACK_UUID: { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
            }),
          ],
        ]),
        resourceTypes,
      },
      values,
    );
    expect(merged).toEqual({
      TABLE_NAME: 'Fake-Table',
      LIMIT: '5',
      WS_CALLBACK_URL: 'http://127.0.0.1:1',
      ARN: 'arn:aws:us-east-1',
      STACK_UUID: '1234',
    });
  });

  it('fails naming the variable whose intrinsic has no local value', () => {
    const resolve = () =>
      resolveEnvironment(
        {
          functions: new Map([['Fn', fakeFunction({ TABLE_NAME: { Ref: 'Table' }, QUEUE_URL: { Ref: 'Queue' } })]]),
          resourceTypes,
        },
        values,
      );
    expect(resolve).toThrow(LocalStackError);
    expect(resolve).toThrow(/QUEUE_URL of Fn: Ref to Queue \(AWS::SQS::Queue\)/);
    expect(() =>
      resolveEnvironment(
        {
          functions: new Map([['Fn', fakeFunction({ HOST: { 'Fn::GetAtt': ['Distribution', 'DomainName'] } })]]),
          resourceTypes,
        },
        values,
      ),
    ).toThrow(/HOST of Fn: Fn::GetAtt/);
  });

  it('fails when two functions give one variable different values', () => {
    const functions = new Map([
      ['A', { ...fakeFunction({ LIMIT: '5' }), logicalId: 'A' }],
      ['B', { ...fakeFunction({ LIMIT: '6' }), logicalId: 'B' }],
    ]);
    expect(() => resolveEnvironment({ functions, resourceTypes }, values)).toThrow(/LIMIT is "5" in A but "6" in B/);
  });

  it('stops startLocalStack before anything starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carchat-drift-'));
    writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => ({ statusCode: 200 });');
    const fn = (env: Record<string, unknown>) => ({
      Type: 'AWS::Lambda::Function',
      Metadata: { 'aws:asset:path': '.' },
      Properties: { Handler: 'index.handler', Environment: { Variables: env } },
    });
    const integration = (api: string, fnId: string) => ({
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: {
        ApiId: { Ref: api },
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [fnId, 'Arn'] },
      },
    });
    const route = (api: string, key: string, integrationId: string) => ({
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        ApiId: { Ref: api },
        RouteKey: key,
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
      },
    });
    const template = {
      Resources: {
        Queue: { Type: 'AWS::SQS::Queue' },
        Http: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'HTTP' } },
        Ws: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'WEBSOCKET' } },
        HttpStage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { ApiId: { Ref: 'Http' }, StageName: '$default' } },
        WsStage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { ApiId: { Ref: 'Ws' }, StageName: 'prod' } },
        Fn: fn({ QUEUE_URL: { Ref: 'Queue' } }),
        HttpIntegration: integration('Http', 'Fn'),
        WsIntegration: integration('Ws', 'Fn'),
        HttpRoute: route('Http', 'ANY /x', 'HttpIntegration'),
        WsRoute: route('Ws', '$default', 'WsIntegration'),
      },
    };
    writeFileSync(join(dir, 'Fake.template.json'), JSON.stringify(template));
    await expect(
      startLocalStack({
        assemblyDir: dir,
        stackName: 'Fake',
        synth: false,
        port: 0,
        dynamodb: 'memory',
        log: () => undefined,
      }),
    ).rejects.toThrow(/QUEUE_URL of Fn: Ref to Queue \(AWS::SQS::Queue\) has no local value/);
  });
});
