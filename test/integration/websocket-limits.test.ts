import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useLocalStack } from './support/local-stack-fixture.js';

/** API Gateway's idle (10 min) and lifetime (2 h) limits, shrunk for the test. */
const local = useLocalStack({ limits: { idleTimeoutMs: 600, maxConnectionMs: 1800 } });

const visitorSocket = async () => local.api.visitorSocket(await local.api.startChat(randomUUID()));

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
