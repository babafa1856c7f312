import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordInbox, setup, tick } from './support/harness.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function openInbox(options = {}) {
  const { server, client } = setup(options);
  const { roomId } = server.startRoom();
  const tokens: string[] = [];
  const getToken = vi.fn(() => {
    tokens.push(server.ownerToken());
    return tokens.at(-1)!;
  });
  const inbox = client.inbox({ getToken });
  const events = recordInbox(inbox);
  return { server, client, roomId, inbox, events, getToken, tokens };
}

describe('the owner inbox', () => {
  it('opens /ws/inbox/ with a fresh token and emits the first room-list page', async () => {
    const { server, roomId, inbox, events, tokens } = openInbox();
    await tick();
    expect(inbox.state).toBe('open');
    expect(server.sockets[0]!.url.pathname).toBe('/ws/inbox/');
    expect(server.sockets[0]!.url.searchParams.get('token')).toBe(tokens[0]);
    expect(events.rooms).toEqual([[expect.objectContaining({ id: roomId, is_active: true })]]);
  });

  it('emits room and message events, a message with its text', async () => {
    const { server, roomId, events } = openInbox();
    await tick();
    const room = (await (
      await server.fetch('http://chat.test/api/chat/rooms/', {
        headers: { authorization: `Bearer ${server.ownerToken()}` },
      })
    ).json()) as { id: string }[];
    const inboxSocket = server.sockets[0]!;
    inboxSocket.receive({ type: 'room.created', room: room[0] });
    inboxSocket.receive({
      type: 'message',
      message: {
        id: 'm1',
        room_id: roomId,
        sender_type: 'visitor',
        message: 'Salom',
        created_at: '2026-02-05T11:06:00.000Z',
      },
    });
    inboxSocket.receive({ type: 'room.updated', room: room[0] });
    inboxSocket.receive({ type: 'pong' });
    await tick();
    expect(events.room).toEqual([
      { type: 'room.created', room: room[0] },
      { type: 'room.updated', room: room[0] },
    ]);
    expect(events.message).toEqual([
      { id: 'm1', room_id: roomId, sender_type: 'visitor', text: 'Salom', created_at: '2026-02-05T11:06:00.000Z' },
    ]);
  });

  it('refetches the room list after every reconnect, with a fresh token each time', async () => {
    const { server, events, inbox, tokens } = openInbox();
    await tick();
    server.sockets[0]!.serverClose();
    await tick();
    expect(inbox.state).toBe('reconnecting');
    server.startRoom();
    await tick(1000);
    expect(inbox.state).toBe('open');
    expect(server.requests).toEqual(['GET /api/chat/rooms/', 'GET /api/chat/rooms/']);
    expect(events.rooms.map((rooms) => rooms.length)).toEqual([1, 2]);
    expect(server.sockets[1]!.url.searchParams.get('token')).toBe(tokens[2]);
    expect(server.authorizations).toEqual([`Bearer ${tokens[1]}`, `Bearer ${tokens[3]}`]);
  });

  it('pings while open', async () => {
    const { server } = openInbox({ pingIntervalMs: 60_000 });
    await tick(120_000);
    expect(server.sentFrames()).toEqual([{ type: 'ping' }, { type: 'ping' }]);
  });

  it('emits error frames as non-fatal errors', async () => {
    const { server, events, inbox } = openInbox();
    await tick();
    server.sockets[0]!.receive({ error: 'The inbox only receives.', code: 'inbox_receives_only' });
    await tick();
    expect(events.error).toEqual([{ code: 'inbox_receives_only', message: 'The inbox only receives.', fatal: false }]);
    expect(inbox.state).toBe('open');
  });

  it('a refused handshake probes the room list: 401 twice is fatal', async () => {
    const { server, client } = setup();
    const inbox = client.inbox({ getToken: () => 'expired' });
    const events = recordInbox(inbox);
    await tick(120_000);
    expect(events.error).toEqual([expect.objectContaining({ code: 'unauthorized', fatal: true })]);
    expect(inbox.state).toBe('closed');
    expect(server.sockets).toHaveLength(2);
    expect(server.requests).toEqual(['GET /api/chat/rooms/', 'GET /api/chat/rooms/']);
  });

  it('a refused handshake with the room list answering 500 backs off and retries', async () => {
    const { server, inbox } = openInbox();
    server.refuseHandshakes = 1;
    server.roomListStatus = 500;
    await tick();
    expect(inbox.state).toBe('reconnecting');
    server.roomListStatus = undefined;
    await tick(1000);
    expect(inbox.state).toBe('open');
  });

  it('close() stops everything', async () => {
    const { server, inbox, events } = openInbox({ pingIntervalMs: 1000 });
    await tick();
    inbox.close();
    expect(inbox.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
    await tick(60_000);
    expect(server.sockets).toHaveLength(1);
    expect(server.sockets[0]!.sent).toEqual([]);
    expect(events.state).toEqual(['open', 'closed']);
  });
});
