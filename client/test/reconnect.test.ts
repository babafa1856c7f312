import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createChatClient } from '../src/index.js';
import { backoffDelay, decideRefusal } from '../src/reconnect.js';
import type { FakeServer } from './support/fake-server.js';
import { recordConversation, setup, tick } from './support/harness.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('backoffDelay', () => {
  it('starts at the first delay, doubles, caps, and jitters to [d/2, d]', () => {
    const nominal = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000];
    nominal.forEach((d, attempt) => {
      expect(backoffDelay(attempt, 1000, 30_000, () => 0)).toBe(d / 2);
      expect(backoffDelay(attempt, 1000, 30_000, () => 0.999_999)).toBeCloseTo(d, -1);
      expect(backoffDelay(attempt, 1000, 30_000, () => 0.5)).toBe((d * 3) / 4);
    });
  });
});

describe('decideRefusal', () => {
  it('follows docs/api.md, reconnecting, step 2', () => {
    expect(decideRefusal({ status: 401 }, true, false)).toBe('retry-now');
    expect(decideRefusal({ status: 401 }, true, true)).toBe('unauthorized');
    expect(decideRefusal({ status: 401 }, false, false)).toBe('unauthorized');
    expect(decideRefusal({ status: 200, isActive: false }, false, false)).toBe('closed');
    expect(decideRefusal({ status: 200, isActive: true }, true, false)).toBe('backoff');
    expect(decideRefusal({ status: 403 }, true, false)).toBe('forbidden');
    expect(decideRefusal({ status: 404 }, false, false)).toBe('not_found');
    for (const status of [0, 429, 500, 502, 503]) expect(decideRefusal({ status }, true, false)).toBe('backoff');
  });
});

/** An owner conversation whose token the test controls: `expire(n)` makes the server refuse the current one. */
function ownerSetup(options = {}) {
  const { server, client } = setup(options);
  const { roomId, visitorToken } = server.startRoom();
  let token = server.ownerToken();
  let staleCalls = 0;
  const getToken = vi.fn(() => {
    if (staleCalls > 0) staleCalls--;
    else token = server.ownerToken();
    return token;
  });
  return {
    server,
    client,
    roomId,
    visitorToken,
    getToken,
    /** The server no longer accepts the current token, which the next `calls` getToken() calls still return. */
    expire(calls = Number.POSITIVE_INFINITY) {
      server.ownerTokens.delete(token);
      staleCalls = calls;
    },
  };
}

describe('a refused handshake', () => {
  it('401 for the owner: one more getToken() and an immediate reconnect that succeeds', async () => {
    const owner = ownerSetup();
    const conversation = owner.client.connect(owner.roomId, { getToken: owner.getToken });
    await tick();
    // The reconnect and the probe still get the expired token; the call after them a fresh one.
    owner.expire(2);
    owner.server.sockets[0]!.serverClose();
    await tick(1000);
    expect(conversation.state).toBe('open');
    expect(owner.server.sockets.map((s) => s.refused)).toEqual([false, true, false]);
    // Immediate: the fresh socket was made at the same (fake) moment as the refused one.
    expect(owner.server.sockets[2]!.createdAt).toBe(owner.server.sockets[1]!.createdAt);
    expect(owner.server.requests).toContain(`GET /api/chat/rooms/${owner.roomId}/`);
  });

  it('401 twice in a row for the owner: fatal unauthorized, no more attempts', async () => {
    const owner = ownerSetup();
    const conversation = owner.client.connect(owner.roomId, { getToken: owner.getToken });
    const events = recordConversation(conversation);
    await tick();
    owner.expire();
    owner.server.sockets[0]!.serverClose();
    await tick(1000);
    expect(events.error).toEqual([expect.objectContaining({ code: 'unauthorized', fatal: true })]);
    expect(conversation.state).toBe('closed');
    expect(owner.server.sockets.map((s) => s.refused)).toEqual([false, true, true]);
    expect(owner.server.requests.filter((r) => r === `GET /api/chat/rooms/${owner.roomId}/`)).toHaveLength(2);
    await tick(120_000);
    expect(owner.server.sockets).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('401 for the visitor: fatal unauthorized at once', async () => {
    const { server, client } = setup();
    const { roomId } = server.startRoom();
    const conversation = client.connect(roomId, { visitorToken: 'not-the-token' });
    const events = recordConversation(conversation);
    await tick(120_000);
    expect(events.error).toEqual([expect.objectContaining({ code: 'unauthorized', fatal: true })]);
    expect(events.state).toEqual(['reconnecting', 'closed']);
    expect(server.sockets).toHaveLength(1);
  });

  it('is_active false: closed event, state closed, no more attempts', async () => {
    const { server, client } = setup();
    const { roomId, visitorToken } = server.startRoom();
    const conversation = client.connect(roomId, { visitorToken });
    const events = recordConversation(conversation);
    await tick();
    // Closed while the visitor was away: no room.closed frame reached it.
    server.sockets[0]!.serverClose();
    server.rooms.get(roomId)!.is_active = false;
    await tick(120_000);
    expect(events.closed).toEqual([{ room_id: roomId }]);
    expect(events.error).toEqual([]);
    expect(conversation.state).toBe('closed');
    expect(server.sockets).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('403: fatal forbidden', async () => {
    const owner = ownerSetup();
    const other = owner.server.startRoom('0d4b0c0e-0000-4000-8000-000000000000');
    const conversation = owner.client.connect(other.roomId, { getToken: owner.getToken });
    const events = recordConversation(conversation);
    await tick(120_000);
    expect(events.error).toEqual([expect.objectContaining({ code: 'forbidden', fatal: true })]);
    expect(conversation.state).toBe('closed');
    expect(owner.server.sockets).toHaveLength(1);
  });

  it('404: fatal not_found', async () => {
    const owner = ownerSetup();
    const conversation = owner.client.connect('7c9e6679-7425-40de-944b-e07fc1f90ae7', { getToken: owner.getToken });
    const events = recordConversation(conversation);
    await tick(120_000);
    expect(events.error).toEqual([expect.objectContaining({ code: 'not_found', fatal: true })]);
    expect(owner.server.sockets).toHaveLength(1);
  });

  it.each([500, 429, 200])('probe answering %s: back off and retry until the handshake succeeds', async (status) => {
    const { server, client } = setup();
    const { roomId, visitorToken } = server.startRoom();
    if (status !== 200) server.roomStatus = status;
    server.refuseHandshakes = 2;
    const conversation = client.connect(roomId, { visitorToken });
    const events = recordConversation(conversation);
    await tick();
    expect(conversation.state).toBe('reconnecting');
    await tick(1000);
    expect(server.sockets).toHaveLength(2);
    await tick(2000);
    expect(server.sockets).toHaveLength(3);
    expect(conversation.state).toBe('open');
    expect(events.error).toEqual([]);
  });

  it('a probe with no answer at all (network error) backs off too', async () => {
    const { server } = setup();
    const { roomId, visitorToken } = server.startRoom();
    server.refuseHandshakes = 1;
    let offline = true;
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      if (offline) throw new TypeError('fetch failed');
      return server.fetch(input, init);
    }) as typeof globalThis.fetch;
    const conversation = setupWith(server, fetch).connect(roomId, { visitorToken });
    await tick();
    expect(conversation.state).toBe('reconnecting');
    offline = false;
    await tick(1000);
    expect(conversation.state).toBe('open');
  });
});

function setupWith(server: FakeServer, fetch: typeof globalThis.fetch) {
  return createChatClient({ baseUrl: 'http://chat.test', fetch, WebSocket: server.WebSocket });
}

describe('backoff between attempts', () => {
  it('waits [d/2, d] with d doubling from 1 s to 30 s, and starts over after a socket stayed open', async () => {
    const { server, client } = setup();
    const { roomId, visitorToken } = server.startRoom();
    server.roomStatus = 503;
    server.refuseHandshakes = 8;
    const conversation = client.connect(roomId, { visitorToken });
    await tick(200_000);
    expect(conversation.state).toBe('open');
    const gaps = server.sockets.slice(1).map((socket, i) => socket.createdAt - server.sockets[i]!.createdAt);
    const nominal = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000];
    expect(gaps).toHaveLength(nominal.length);
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(nominal[i]! / 2);
      expect(gap).toBeLessThanOrEqual(nominal[i]!);
    });
    // Open and caught up: the next drop waits about the first delay again.
    const dropped = Date.now();
    server.sockets.at(-1)!.serverClose();
    await tick(1000);
    expect(server.sockets).toHaveLength(10);
    expect(server.sockets.at(-1)!.createdAt - dropped).toBeGreaterThanOrEqual(500);
    expect(conversation.state).toBe('open');
  });

  it('uses the injected random for the jitter', async () => {
    const { server, client } = setup({ random: () => 0 });
    const { roomId, visitorToken } = server.startRoom();
    const conversation = client.connect(roomId, { visitorToken });
    await tick();
    server.sockets[0]!.serverClose();
    await tick(499);
    expect(server.sockets).toHaveLength(1);
    await tick(1);
    expect(server.sockets).toHaveLength(2);
    expect(conversation.state).toBe('open');
  });
});
