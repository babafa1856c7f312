import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { broadcastOf, roomConnectionIds, sendAndEcho } from './support/chat.js';
import { localClientConfig } from './support/dynamodb-backend.js';
import { useLocalStack } from './support/local-stack-fixture.js';
import { openSocket } from './support/ws-client.js';

/**
 * The local stack is safe to run on a laptop on a shared network: the client port serves the
 * client API and nothing else, to the stack's own Host names only; the AWS stubs (the
 * owner-token signing key among them) and the management API sit on a loopback-only port
 * behind a per-run secret.
 */
const local = useLocalStack();

interface RawResponse {
  status: number;
  body: string;
}

/** An HTTP request with any Host header (fetch cannot set one), as a rebinding page would send. */
function rawRequest(
  port: number,
  options: {
    method?: string;
    path?: string;
    host?: string;
    headers?: Record<string, string>;
    body?: string;
    address?: string;
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: options.address ?? '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: { ...(options.host ? { host: options.host } : {}), ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const getSecretValue = (secretId = 'any') => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
  body: JSON.stringify({ SecretId: secretId }),
});

/** The secret ARN the functions read the signing key from, and the services server's port and secret. */
const secretArn = () => local.stack.served.environment.JWT_SECRET_ARN!;
const services = () => new URL(local.stack.servicesUrl);

async function startChat(base: string, ownerId = randomUUID()) {
  const response = await fetch(`${base}/api/chat/start/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: ownerId }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { room_id: string; visitor_token: string; ws_url: string };
}

describe('the Host check (DNS rebinding)', () => {
  it("refuses an HTTP request whose Host is not one of the stack's names with 403", async () => {
    const port = local.stack.port;
    const start = {
      method: 'POST',
      path: '/api/chat/start/',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: randomUUID() }),
    };
    for (const host of [`rebind.attacker.example:${port}`, `192.0.2.10:${port}`, `localhost:${port + 1}`]) {
      const refused = await rawRequest(port, { ...start, host });
      expect(refused, host).toEqual({ status: 403, body: JSON.stringify({ message: 'Forbidden' }) });
    }
    expect((await rawRequest(port, { ...start, host: `127.0.0.1:${port}` })).status).toBe(201);
    expect(local.gatewayLines.some((line) => line.includes('rebind.attacker.example') && line.includes('403'))).toBe(
      true,
    );
  });

  it('refuses a WebSocket handshake with another Host with 403', async () => {
    const room = await startChat(local.stack.httpUrl);
    const url = `${local.stack.wsUrl}/ws/chat/${room.room_id}/?visitor=${room.visitor_token}`;
    const status = await new Promise<number | string>((resolve) => {
      const ws = new WebSocket(url, { headers: { host: `rebind.attacker.example:${local.stack.port}` } });
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      });
      ws.once('open', () => {
        ws.close();
        resolve('accepted');
      });
      ws.once('error', (error) => resolve(error.message));
    });
    expect(status).toBe(403);
    // The same URL with the stack's own name is accepted.
    (await openSocket(url)).ws.close();
  });
});

describe('the client port', () => {
  it('answers a Secrets Manager call on any path like any unknown request, with 404 and no key', async () => {
    for (const path of ['/', '/api/chat/start/', `${services().pathname}/`]) {
      const response = await rawRequest(local.stack.port, { ...getSecretValue(secretArn()), path });
      expect(response.status, path).toBe(path === '/api/chat/start/' ? 400 : 404);
      expect(response.body).not.toContain(local.stack.jwtSecret);
    }
    const client = new SecretsManagerClient(localClientConfig(local.stack.httpUrl));
    await expect(client.send(new GetSecretValueCommand({ SecretId: secretArn() }))).rejects.toThrow();
    client.destroy();
  });

  it('answers the management API paths with 404', async () => {
    const room = await startChat(local.stack.httpUrl);
    const visitor = await openSocket(`${local.stack.wsUrl}/ws/chat/${room.room_id}/?visitor=${room.visitor_token}`);
    const [connectionId] = await roomConnectionIds(local.stack, room.room_id);
    for (const prefix of ['', services().pathname]) {
      for (const method of ['GET', 'POST', 'DELETE']) {
        const path = `${prefix}/@connections/${encodeURIComponent(connectionId!)}`;
        const response = await rawRequest(local.stack.port, {
          method,
          path,
          body: method === 'POST' ? '{"forged":true}' : undefined,
        });
        expect(response.status, `${method} ${path}`).toBe(404);
      }
    }
    // Nothing reached the socket, which is still open.
    await sendAndEcho(visitor, 'still here');
    expect(visitor.received.some((frame) => frame.includes('forged'))).toBe(false);
    visitor.ws.close();
  });
});

describe('the services port', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(services().hostname).toBe('127.0.0.1');
    expect(Number(services().port)).not.toBe(local.stack.port);
  });

  it('refuses a call without the secret, with a wrong one, or with another Host, with 403', async () => {
    const port = Number(services().port);
    const secretPath = services().pathname;
    const attempts = [
      { path: '/' },
      { path: `/${'x'.repeat(secretPath.length - 1)}/` },
      { path: `${secretPath}x/` },
      { path: `${secretPath}/`, host: `rebind.attacker.example:${port}` },
    ];
    for (const attempt of attempts) {
      const response = await rawRequest(port, { ...getSecretValue(secretArn()), ...attempt });
      expect(response, JSON.stringify(attempt)).toEqual({
        status: 403,
        body: JSON.stringify({ message: 'Forbidden' }),
      });
    }
    const management = await rawRequest(port, { path: `/@connections/${encodeURIComponent('L0SM9cOFvHcCIhw=')}` });
    expect(management.status).toBe(403);
    // The log does not hold the path, which may be a guess of the secret.
    expect(local.gatewayLines.filter((line) => line.startsWith('[services]')).join('\n')).not.toContain('xxxx');
  });

  it('is not reachable at another loopback address (it is bound to 127.0.0.1, not every interface)', async () => {
    await expect(
      rawRequest(Number(services().port), { ...getSecretValue(secretArn()), address: '127.0.0.2' }),
    ).rejects.toThrow();
  });

  it('answers the functions, which hold the secret, with the signing key', async () => {
    const client = new SecretsManagerClient(localClientConfig(local.stack.servicesUrl));
    const secret = await client.send(new GetSecretValueCommand({ SecretId: secretArn() }));
    expect(secret.SecretString).toBe(local.stack.jwtSecret);
    client.destroy();
  });
});

describe('ws_url follows the Host the client used', () => {
  it.each(['127.0.0.1', 'localhost'])(
    'gives a client that came to %s a ws_url on that name, which connects',
    async (name) => {
      const base = `http://${name}:${local.stack.port}`;
      const room = await startChat(base);
      expect(room.ws_url).toBe(`ws://${name}:${local.stack.port}/ws/chat/${room.room_id}/`);

      const visitor = await openSocket(`${room.ws_url}?visitor=${room.visitor_token}`);
      expect((await sendAndEcho(visitor, `via ${name}`)).room_id).toBe(room.room_id);
      visitor.ws.close();
    },
  );
});

describe('a frame whose action names a connection route', () => {
  it.each(['$disconnect', '$connect'])(
    'goes to $default ("%s" is no message route) and the socket stays remembered',
    async (action) => {
      const ownerId = randomUUID();
      const room = await startChat(local.stack.httpUrl, ownerId);
      const visitor = await openSocket(`${local.stack.wsUrl}/ws/chat/${room.room_id}/?visitor=${room.visitor_token}`);
      const owner = await openSocket(
        `${local.stack.wsUrl}/ws/chat/${room.room_id}/?token=${await local.api.ownerToken(ownerId)}`,
      );
      const before = await roomConnectionIds(local.stack, room.room_id);
      expect(before).toHaveLength(2);

      visitor.ws.send(JSON.stringify({ action: action }));
      // $default answers the sender: a frame without a message is refused with an error frame.
      expect(await visitor.next((frame) => typeof (frame as { error?: unknown }).error === 'string')).toMatchObject({
        error: expect.any(String),
      });
      expect(await roomConnectionIds(local.stack, room.room_id)).toEqual(before);

      // The socket still sends and receives.
      const message = await sendAndEcho(visitor, `after the ${action} frame`);
      expect(await broadcastOf(owner, `after the ${action} frame`)).toEqual(message);
      visitor.ws.close();
      owner.ws.close();
    },
  );
});
