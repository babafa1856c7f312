import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/local-stack.js';
import { startDynamoDbBackend, type DynamoDbBackend } from './support/dynamodb-backend.js';
import { openSocket } from './support/ws-client.js';

/** API Gateway's idle (10 min) and lifetime (2 h) limits, shrunk for the test. */
let stack: LocalStack;
let backend: DynamoDbBackend;

beforeAll(async () => {
  backend = await startDynamoDbBackend();
  stack = await startLocalStack({
    port: 0,
    dynamodb: backend.dynamodb,
    log: () => undefined,
    limits: { idleTimeoutMs: 600, maxConnectionMs: 1800 },
  });
});

afterAll(async () => {
  await stack?.stop();
  await backend?.stop();
});

async function visitorSocket() {
  const response = await fetch(`${stack.httpUrl}/api/chat/start/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: randomUUID() }),
  });
  const room = (await response.json()) as { room_id: string; visitor_token: string };
  return openSocket(`${stack.wsUrl}/ws/chat/${room.room_id}/?visitor=${room.visitor_token}`);
}

describe("API Gateway's connection limits", () => {
  it('closes an idle connection with 1001', async () => {
    const socket = await visitorSocket();
    const started = Date.now();
    expect((await socket.closed).code).toBe(1001);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('keeps a busy connection past the idle timeout, then ends it at the maximum duration', async () => {
    const socket = await visitorSocket();
    const started = Date.now();
    const ping = setInterval(() => socket.ws.send(JSON.stringify({ type: 'ping' })), 200);
    const { code } = await socket.closed;
    clearInterval(ping);
    expect(code).toBe(1001);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1700);
    expect(socket.received.length).toBeGreaterThan(3);
  });
});
