import { envName } from '../../../../lambdas/config/settings-contract.js';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OWNER_A } from '../../support/fixtures.js';
import { loadHandler } from '../../support/handler-env.js';
import { httpEvent, jsonBody } from '../../support/lambda-events.js';

const ddb = mockClient(DynamoDBDocumentClient);
const api = mockClient(ApiGatewayManagementApiClient);

const load = (env: Record<string, string | undefined> = {}) =>
  loadHandler(() => import('../../../../lambdas/handlers/http/start-chat.js'), env).then((module) => module.handler);

const post = (body: unknown, extra: Partial<Parameters<typeof httpEvent>[0]> = {}) =>
  httpEvent({
    method: 'POST',
    path: '/api/chat/start/',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...extra,
  });

beforeEach(() => {
  ddb.reset();
  api.reset();
  ddb.on(UpdateCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
  api.on(PostToConnectionCommand).resolves({});
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('POST /api/chat/start/', () => {
  it('creates a room and answers 201 with room_id, visitor_token, ws_path and ws_url', async () => {
    const handler = await load();

    const result = await handler(post({ user_id: OWNER_A, visitor_name: 'Aziz' }));

    expect(result.statusCode).toBe(201);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json' });
    const body = jsonBody(result) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['room_id', 'visitor_token', 'ws_path', 'ws_url']);
    expect(body.ws_path).toBe(`/ws/chat/${body.room_id}/`);
    expect(body.ws_url).toBe(`wss://carinfopro.uz/ws/chat/${body.room_id}/`);
    const [put] = ddb.commandCalls(PutCommand);
    expect(put?.args[0].input).toMatchObject({
      TableName: 'chat-table',
      Item: { pk: `ROOM#${body.room_id}`, owner_id: OWNER_A, visitor_name: 'Aziz', is_active: true },
    });
    expect(JSON.stringify(put?.args[0].input)).not.toContain(body.visitor_token);
  });

  it('routes the path without the trailing slash too', async () => {
    const handler = await load();

    const result = await handler(post({ user_id: OWNER_A }, { path: '/api/chat/start' }));

    expect(result.statusCode).toBe(201);
  });

  it('fills the room id into a query-string WebSocket URL template', async () => {
    const handler = await load({ [envName('wsUrlTemplate')]: 'wss://abc123.execute-api.us-east-1.amazonaws.com/prod?room={room_id}' });

    const body = jsonBody(await handler(post({ user_id: OWNER_A }))) as Record<string, string>;

    expect(body.ws_url).toBe(`wss://abc123.execute-api.us-east-1.amazonaws.com/prod?room=${body.room_id}`);
  });

  it('fills {host} of a local template with the Host the client used', async () => {
    const handler = await load({ [envName('wsUrlTemplate')]: 'ws://{host}/ws/chat/{room_id}/' });

    for (const host of ['192.168.1.20:8000', 'localhost:8000', '[::1]:8000']) {
      const headers = { 'content-type': 'application/json', host };
      const body = jsonBody(await handler(post({ user_id: OWNER_A }, { headers }))) as Record<string, string>;
      expect(body.ws_url).toBe(`ws://${host}/ws/chat/${body.room_id}/`);
    }
  });

  it('puts the API domain in {host} when the Host header is not a plain host and port', async () => {
    const handler = await load({ [envName('wsUrlTemplate')]: 'ws://{host}/ws/chat/{room_id}/' });

    const headers = { 'content-type': 'application/json', host: 'evil.example/x?y' };
    const body = jsonBody(await handler(post({ user_id: OWNER_A }, { headers }))) as Record<string, string>;

    expect(body.ws_url).toBe(`ws://carinfopro.uz/ws/chat/${body.room_id}/`);
  });

  it('reads a base64-encoded body', async () => {
    const handler = await load();
    const body = Buffer.from(JSON.stringify({ user_id: OWNER_A })).toString('base64');

    const result = await handler(post(body, { isBase64Encoded: true }));

    expect(result.statusCode).toBe(201);
  });

  it('counts the start against the caller address', async () => {
    const handler = await load();

    await handler(post({ user_id: OWNER_A }, { sourceIp: '198.51.100.23' }));

    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.Key).toEqual({ pk: 'RATE#START#198.51.100.23', sk: 'RATE' });
  });

  describe('caller address for the start limit', () => {
    const frontDoor = { [envName('originVerifySecret')]: 'origin-verify-value' };
    const rateKey = () =>
      ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key).find((key) => String(key?.pk).startsWith('RATE#START#'));
    const viaCloudFront = (headers: Record<string, string>) =>
      post({ user_id: OWNER_A }, { sourceIp: '130.176.0.1', headers: { 'content-type': 'application/json', ...headers } });

    it("takes the viewer's address from CloudFront-Viewer-Address when the origin-verify value matches", async () => {
      const handler = await load(frontDoor);

      await handler(viaCloudFront({ 'cloudfront-viewer-address': '198.51.100.9:51234', 'x-origin-verify': 'origin-verify-value' }));

      expect(rateKey()).toEqual({ pk: 'RATE#START#198.51.100.9', sk: 'RATE' });
    });

    it('strips only the port from an IPv6 viewer address, and counts the address by its /64', async () => {
      const handler = await load(frontDoor);

      await handler(viaCloudFront({ 'cloudfront-viewer-address': '2001:db8::7:51234', 'x-origin-verify': 'origin-verify-value' }));

      expect(rateKey()).toEqual({ pk: 'RATE#START#2001:db8:0:0::/64', sk: 'RATE' });
    });

    it('ignores CloudFront-Viewer-Address with a wrong origin-verify value', async () => {
      const handler = await load(frontDoor);

      await handler(viaCloudFront({ 'cloudfront-viewer-address': '198.51.100.9:51234', 'x-origin-verify': 'guessed' }));

      expect(rateKey()).toEqual({ pk: 'RATE#START#130.176.0.1', sk: 'RATE' });
    });

    it('ignores CloudFront-Viewer-Address when no front door is configured', async () => {
      const handler = await load();

      await handler(viaCloudFront({ 'cloudfront-viewer-address': '198.51.100.9:51234', 'x-origin-verify': '' }));

      expect(rateKey()).toEqual({ pk: 'RATE#START#130.176.0.1', sk: 'RATE' });
    });

    it('never trusts X-Forwarded-For', async () => {
      const handler = await load(frontDoor);

      await handler(viaCloudFront({ 'x-forwarded-for': '192.0.2.1' }));

      expect(rateKey()).toEqual({ pk: 'RATE#START#130.176.0.1', sk: 'RATE' });
    });
  });

  it('answers 429 with a detail when the address started too many chats', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    const handler = await load();

    const result = await handler(post({ user_id: OWNER_A }));

    expect(result.statusCode).toBe(429);
    expect(jsonBody(result)).toEqual({ detail: 'Too many chats started from this address; try again in a minute.' });
    expect(result.headers?.['retry-after']).toBe('60');
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it("answers 429 with Retry-After of the hour when the owner's hourly limit is reached (both limits are checked on every start)", async () => {
    ddb.on(UpdateCommand).callsFake((input: { Key: { pk: string } }) => {
      if (input.Key.pk.startsWith('RATE#OWNER#')) throw new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });
      return {};
    });
    const handler = await load();

    const result = await handler(post({ user_id: OWNER_A }));

    expect(result.statusCode).toBe(429);
    expect(jsonBody(result)).toEqual({ detail: 'This owner has been sent too many new chats in the last hour; try again later.' });
    expect(result.headers?.['retry-after']).toBe('3600');
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key)).toEqual([
      { pk: expect.stringMatching(/^RATE#START#/), sk: 'RATE' },
      { pk: `RATE#OWNER#${OWNER_A}`, sk: 'RATE' },
    ]);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it.each([
    ['a malformed user_id', { user_id: 'abc' }, 'user_id must be a UUID.'],
    ['a non-string visitor_name', { user_id: OWNER_A, visitor_name: 5 }, 'visitor_name must be a string.'],
    ['bad JSON', '{', 'Request body is not valid JSON.'],
    ['an array', '[]', 'Request body must be a JSON object.'],
  ])('rejects %s with 400 and a detail', async (_case, body, detail) => {
    const handler = await load();

    const result = await handler(post(body));

    expect(result.statusCode).toBe(400);
    expect(jsonBody(result)).toEqual({ detail });
  });

  it('rejects a request without a body with 400', async () => {
    const handler = await load();

    const result = await handler(httpEvent({ method: 'POST', path: '/api/chat/start/' }));

    expect(result.statusCode).toBe(400);
  });

  it('answers an extra path segment with 404 and a detail', async () => {
    const handler = await load();

    const result = await handler(post({ user_id: OWNER_A }, { path: '/api/chat/start/extra/' }));

    expect(result.statusCode).toBe(404);
    expect(jsonBody(result)).toEqual({ detail: 'Not found.' });
  });

  it.each(['GET', 'PUT', 'DELETE'])('answers %s with 405, an allow header and a detail', async (method) => {
    const handler = await load();

    const result = await handler(httpEvent({ method, path: '/api/chat/start/' }));

    expect(result.statusCode).toBe(405);
    expect(result.headers).toMatchObject({ allow: 'POST' });
    expect(jsonBody(result)).toEqual({ detail: `Method "${method}" not allowed.` });
  });

  it('answers an unexpected DynamoDB failure with a bare 500 that leaks nothing', async () => {
    ddb.on(PutCommand).rejects(Object.assign(new Error('Requested resource not found: Table: chat-table'), { name: 'ResourceNotFoundException' }));
    const handler = await load();

    const result = await handler(post({ user_id: OWNER_A }));

    expect(result.statusCode).toBe(500);
    expect(result.body).toBe(JSON.stringify({ detail: 'A server error occurred.' }));
  });

  it("tells the owner's live inbox about the new room", async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ connection_id: 'inbox-1' }] });
    const handler = await load();

    const body = jsonBody(await handler(post({ user_id: OWNER_A }))) as Record<string, string>;

    const [postCall] = api.commandCalls(PostToConnectionCommand);
    expect(postCall?.args[0].input.ConnectionId).toBe('inbox-1');
    expect(JSON.parse(Buffer.from(postCall?.args[0].input.Data as Uint8Array).toString())).toMatchObject({
      type: 'room.created',
      room: { id: body.room_id, owner_id: OWNER_A },
    });
  });

  it('still answers 201 when the inbox push fails', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ connection_id: 'inbox-1' }] });
    api.on(PostToConnectionCommand).rejects(new Error('boom'));
    const handler = await load();

    const result = await handler(post({ user_id: OWNER_A }));

    expect(result.statusCode).toBe(201);
  });

  describe('configuration', () => {
    it.each([envName('tableName'), envName('wsCallbackUrl'), envName('wsUrlTemplate')])('refuses to load without %s, naming it', async (name) => {
      await expect(load({ [name]: undefined })).rejects.toThrow(new RegExp(`${name} is not set`));
    });

    it('refuses to load with a rate limit out of range, naming the setting', async () => {
      await expect(load({ [envName('roomStartsPerMinutePerIp')]: 'lots' })).rejects.toThrow(/ROOM_STARTS_PER_MINUTE_PER_IP must be an integer/);
      // Past 100 the limit's UpdateExpression would outgrow DynamoDB's 4 KB.
      await expect(load({ [envName('roomStartsPerMinutePerIp')]: '101' })).rejects.toThrow(/ROOM_STARTS_PER_MINUTE_PER_IP must be an integer from 0 to 100/);
    });

    it('makes no DynamoDB call with both start limits set to 0', async () => {
      const handler = await load({ [envName('roomStartsPerMinutePerIp')]: '0', [envName('roomStartsPerHourPerOwner')]: '0' });

      await handler(post({ user_id: OWNER_A }));

      expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    });
  });
});
