import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { broadcastOf } from './support/fake-server.js';
import { openVisitor, recordConversation, setup, texts, tick } from './support/harness.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a conversation', () => {
  it('opens with the last initialHistory messages, oldest first', async () => {
    const { server, events, conversation } = await openVisitor(['one', 'two', 'three'], { initialHistory: 2 });
    expect(server.requests).toEqual([`GET /api/chat/rooms/${conversation.roomId}/messages/?limit=2`]);
    expect(events.state).toEqual(['open']);
    expect(texts(events.message)).toEqual(['two', 'three']);
    expect(texts(conversation.messages)).toEqual(['two', 'three']);
    expect(server.sockets[0]!.url.searchParams.get('visitor')).toBe(
      server.rooms.get(conversation.roomId)!.visitor_token,
    );
  });

  it('after a dropped socket catches up with ?after=<last id>: nothing lost or doubled, in order', async () => {
    const { server, roomId, conversation, events } = await openVisitor(['before']);
    server.sockets[0]!.serverClose();
    await tick();
    expect(conversation.state).toBe('reconnecting');
    for (const text of ['a', 'b', 'c']) server.store(roomId, 'owner', text);
    await tick(1000);
    expect(conversation.state).toBe('open');
    expect(server.requests.at(-1)).toBe(
      `GET /api/chat/rooms/${roomId}/messages/?after=${conversation.messages[0]!.id}`,
    );
    expect(texts(events.message)).toEqual(['before', 'a', 'b', 'c']);
    expect(events.state).toEqual(['open', 'reconnecting', 'connecting', 'open']);
  });

  it('follows Link rel="next" until the catch-up is complete', async () => {
    const { server, roomId, events } = await openVisitor(['before']);
    server.afterPageSize = 2;
    server.sockets[0]!.serverClose();
    await tick();
    for (const text of ['1', '2', '3', '4', '5']) server.store(roomId, 'owner', text);
    await tick(1000);
    expect(server.requests.filter((r) => r.includes('after=')).length).toBe(3);
    expect(texts(events.message)).toEqual(['before', '1', '2', '3', '4', '5']);
  });

  it('holds live broadcasts while the catch-up runs, then emits each once in server order', async () => {
    const { server, roomId, conversation, events } = await openVisitor(['before']);
    server.sockets[0]!.serverClose();
    await tick();
    const missed = server.store(roomId, 'owner', 'missed');
    const release = server.holdHistory();
    await tick(1000);
    expect(conversation.state).toBe('connecting');
    // Live while the catch-up is held: a newer message, and a retry's re-broadcast of the missed one.
    server.store(roomId, 'owner', 'live');
    server.broadcast(roomId, broadcastOf(missed));
    await tick();
    expect(texts(events.message)).toEqual(['before']);
    release();
    await tick();
    expect(texts(events.message)).toEqual(['before', 'missed', 'live']);
    // A late duplicate of any of them changes nothing.
    server.broadcast(roomId, broadcastOf(missed));
    await tick();
    expect(texts(conversation.messages)).toEqual(['before', 'missed', 'live']);
  });

  it('orders messages by created_at, then id, whatever order they arrive in', async () => {
    const { server, roomId, conversation } = await openVisitor();
    const at = '2026-02-05T12:00:00.000Z';
    const frame = (id: string, created_at: string) => ({
      id,
      room_id: roomId,
      sender_type: 'owner',
      message: id,
      created_at,
    });
    server.broadcast(roomId, frame('b', at));
    server.broadcast(roomId, frame('c', '2026-02-05T11:59:59.000Z'));
    server.broadcast(roomId, frame('a', at));
    await tick();
    expect(texts(conversation.messages)).toEqual(['c', 'a', 'b']);
  });

  it('sends a message made while offline once the socket is open, with its client_id', async () => {
    const { server, client } = setup();
    const { roomId, visitorToken } = server.startRoom();
    const conversation = client.connect(roomId, { visitorToken });
    const events = recordConversation(conversation);
    const clientId = conversation.send('Salom');
    expect(clientId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await tick();
    expect(server.sentFrames()).toEqual([{ message: 'Salom', client_id: clientId }]);
    expect(events.message).toMatchObject([{ text: 'Salom', client_id: clientId, sender_type: 'visitor' }]);
  });

  it('emits one message per send even when the echo comes twice', async () => {
    const { server, conversation, events } = await openVisitor();
    server.echoes = 2;
    conversation.send('once');
    conversation.send('twice?');
    await tick();
    expect(texts(events.message)).toEqual(['once', 'twice?']);
  });

  it('resends an unacknowledged send after a reconnect, with the same client_id, until its echo', async () => {
    const { server, roomId, conversation, events } = await openVisitor();
    server.loseFrames = true;
    const clientId = conversation.send('lost on the way');
    await tick();
    server.loseFrames = false;
    server.sockets[0]!.serverClose();
    await tick(1000);
    expect(server.sockets[1]!.sent.map((data) => JSON.parse(data))).toEqual([
      { message: 'lost on the way', client_id: clientId },
    ]);
    expect(texts(events.message)).toEqual(['lost on the way']);
    expect(server.rooms.get(roomId)!.messages).toHaveLength(1);
    // Acknowledged now: the next reconnect sends nothing again.
    server.sockets[1]!.serverClose();
    await tick(1000);
    expect(server.sockets[2]!.sent).toEqual([]);
  });

  it('does not resend a send the catch-up shows was stored (its echo was lost)', async () => {
    const { server, roomId, conversation, events } = await openVisitor();
    server.swallowEchoes = true;
    conversation.send('stored, echo lost');
    await tick();
    server.swallowEchoes = false;
    server.sockets[0]!.serverClose();
    await tick(1000);
    expect(server.sockets[1]!.sent).toEqual([]);
    expect(texts(events.message)).toEqual(['stored, echo lost']);
    expect(server.rooms.get(roomId)!.messages).toHaveLength(1);
  });

  it.each(['internal', 'rate_limited'])('resends after a backoff delay, same client_id, on %s', async (code) => {
    const { server, roomId, conversation, events } = await openVisitor();
    server.refuseNextSends.push(code, code);
    const clientId = conversation.send('retry me');
    await tick();
    expect(events.message).toEqual([]);
    await tick(1000);
    await tick(2000);
    expect(server.sentFrames()).toEqual(Array(3).fill({ message: 'retry me', client_id: clientId }));
    expect(texts(events.message)).toEqual(['retry me']);
    expect(events.error).toEqual([]);
    expect(server.rooms.get(roomId)!.messages).toHaveLength(1);
  });

  it('drops a send refused for good and says why, without resending it', async () => {
    const { server, conversation, events } = await openVisitor();
    server.refuseNextSends.push('message_too_long');
    const clientId = conversation.send('x'.repeat(4001));
    await tick();
    expect(events.error).toEqual([
      { code: 'message_too_long', message: 'scripted message_too_long', client_id: clientId, fatal: false },
    ]);
    server.sockets[0]!.serverClose();
    await tick(1000);
    expect(server.sockets[1]!.sent).toEqual([]);
  });

  it("ignores API Gateway's own Internal server error frame", async () => {
    const { server, events } = await openVisitor();
    server.sockets[0]!.receive({ message: 'Internal server error', connectionId: 'abc=', requestId: 'r' });
    server.sockets[0]!.receive('not json');
    await tick();
    expect(events.message).toEqual([]);
    expect(events.error).toEqual([]);
  });

  it('on room.closed emits closed, ends in state closed, and does not reconnect', async () => {
    const { server, roomId, conversation, events } = await openVisitor();
    server.closeRoom(roomId);
    await tick(60_000);
    expect(events.closed).toEqual([{ room_id: roomId }]);
    expect(conversation.state).toBe('closed');
    expect(server.sockets).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("closeRoom: the owner's call ends the visitor's conversation with a closed event", async () => {
    const { server, client, roomId, conversation, events } = await openVisitor();
    const owner = { getToken: () => server.ownerToken() };
    const room = await client.closeRoom(roomId, owner);
    expect(room).toMatchObject({ id: roomId, is_active: false });
    expect(server.requests.at(-1)).toBe(`POST /api/chat/rooms/${roomId}/close/`);
    await tick(60_000);
    expect(events.closed).toEqual([{ room_id: roomId }]);
    expect(conversation.state).toBe('closed');
    await expect(client.closeRoom(roomId, { getToken: () => 'not-a-token' })).rejects.toMatchObject({ status: 401 });
  });

  it('on a room_closed error frame asks the room on reconnecting, and a closed room ends the conversation', async () => {
    const { server, roomId, conversation, events } = await openVisitor();
    server.rooms.get(roomId)!.is_active = false;
    server.refuseNextSends.push('room_closed');
    conversation.send('too late');
    await tick(60_000);
    expect(events.closed).toEqual([{ room_id: roomId }]);
    expect(conversation.state).toBe('closed');
    expect(server.requests.at(-1)).toBe(`GET /api/chat/rooms/${roomId}/`);
    expect(events.error).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a room_closed for a socket the server forgot in a room still open: reconnects and resends, not closed', async () => {
    // The server answers room_closed to any socket it has no row for; a socket closed as
    // overtaken by the sockets-per-member cap can be such a socket while its room is open.
    const { server, conversation, events } = await openVisitor();
    server.refuseNextSends.push('room_closed');
    const clientId = conversation.send('still here');
    await tick(60_000);
    expect(events.closed).toEqual([]);
    expect(conversation.state).toBe('open');
    expect(conversation.messages.map((m) => [m.text, m.client_id])).toEqual([['still here', clientId]]);
  });

  it('pings every pingIntervalMs while open, and not while disconnected', async () => {
    const { server, roomId } = await openVisitor([], {
      pingIntervalMs: 10_000,
      reconnect: { initialDelayMs: 50_000, maxDelayMs: 50_000 },
    });
    await tick(30_000);
    expect(server.sockets[0]!.sent.map((data) => JSON.parse(data))).toEqual(Array(3).fill({ type: 'ping' }));
    server.sockets[0]!.serverClose();
    await tick(24_000);
    expect(server.sockets).toHaveLength(1);
    expect(server.sockets[0]!.sent).toHaveLength(3);
    await tick(26_000 + 10_000);
    expect(server.openSockets(roomId)).toHaveLength(1);
    expect(server.sockets[1]!.sent.length).toBeGreaterThanOrEqual(1);
  });

  it('sends at most one typing frame every 2 s, and shows only the other side typing', async () => {
    const { server, roomId, conversation, events } = await openVisitor();
    conversation.typing();
    conversation.typing();
    await tick(1999);
    conversation.typing();
    await tick(1);
    conversation.typing();
    expect(server.sentFrames()).toEqual([{ type: 'typing' }, { type: 'typing' }]);
    server.broadcast(roomId, { type: 'typing', room_id: roomId, sender_type: 'owner' });
    server.broadcast(roomId, { type: 'typing', room_id: roomId, sender_type: 'visitor' });
    await tick();
    expect(events.typing).toEqual([{ room_id: roomId, sender_type: 'owner' }]);
  });

  it('sends a read receipt only for a message later than the last one sent, and emits read frames', async () => {
    const { server, roomId, conversation, events } = await openVisitor(['1', '2', '3']);
    const [first, second, third] = conversation.messages.map((m) => m.id);
    conversation.markRead(second!);
    conversation.markRead(second!);
    conversation.markRead(first!);
    conversation.markRead(third!);
    await tick();
    expect(server.sentFrames()).toEqual([
      { type: 'read', message_id: second },
      { type: 'read', message_id: third },
    ]);
    expect(events.read).toMatchObject([
      { room_id: roomId, reader: 'visitor', message_id: second },
      { room_id: roomId, reader: 'visitor', message_id: third },
    ]);
  });

  it('sends the read position again after a refusal naming no frame: a receipt refused as rate_limited is not lost', async () => {
    const { server, conversation, events } = await openVisitor(['1', '2', '3', '4', '5', '6', '7']);
    server.framesPerSecond = 5;
    // One receipt per message as each is shown: more frames in a second than the server takes.
    const ids = conversation.messages.map((m) => m.id);
    for (const id of ids) conversation.markRead(id);
    await tick();
    expect(events.error.map((e) => e.code)).toEqual(['rate_limited', 'rate_limited']);
    expect(events.read.at(-1)!.message_id).toBe(ids[4]);
    await tick(1000);
    expect(events.read.at(-1)!.message_id).toBe(ids[6]);
  });

  it('sends a read receipt asked for while offline once open', async () => {
    const { server, conversation } = await openVisitor(['1']);
    server.sockets[0]!.serverClose();
    await tick();
    conversation.markRead(conversation.messages[0]!.id);
    expect(server.sentFrames()).toEqual([]);
    await tick(1000);
    expect(server.sockets[1]!.sent.map((data) => JSON.parse(data))).toEqual([
      { type: 'read', message_id: conversation.messages[0]!.id },
    ]);
  });

  it('close() stops everything: socket closed, no timers, no reconnect, no closed event', async () => {
    const { server, conversation, events } = await openVisitor([], { pingIntervalMs: 1000 });
    conversation.send('pending');
    server.loseFrames = true;
    conversation.close();
    expect(conversation.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
    await tick(120_000);
    expect(server.sockets).toHaveLength(1);
    expect(server.sockets[0]!.isOpen).toBe(false);
    expect(events.closed).toEqual([]);
    expect(events.state.at(-1)).toBe('closed');
  });

  it('close() while reconnecting cancels the pending reconnect', async () => {
    const { server, conversation } = await openVisitor();
    server.sockets[0]!.serverClose();
    await tick();
    expect(vi.getTimerCount()).toBe(1);
    conversation.close();
    expect(vi.getTimerCount()).toBe(0);
    await tick(60_000);
    expect(server.sockets).toHaveLength(1);
  });

  it('close() while getToken() is pending stays closed, whatever getToken() does next', async () => {
    const { server, client } = setup();
    const { roomId } = server.startRoom();
    let fail: (error: Error) => void = () => {};
    const conversation = client.connect(roomId, {
      getToken: () => new Promise<string>((_, reject) => (fail = reject)),
    });
    const events = recordConversation(conversation);
    await tick();
    conversation.close();
    fail(new Error('refresh failed'));
    await tick(60_000);
    expect(events.state).toEqual(['closed']);
    expect(server.sockets).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a getToken() that fails backs off and tries again', async () => {
    const { server, client } = setup();
    const { roomId } = server.startRoom();
    let calls = 0;
    const conversation = client.connect(roomId, {
      getToken: async () => {
        calls++;
        if (calls === 1) throw new Error('offline');
        return server.ownerToken();
      },
    });
    await tick();
    expect(conversation.state).toBe('reconnecting');
    expect(server.sockets).toEqual([]);
    await tick(1000);
    expect(conversation.state).toBe('open');
  });

  it('the owner calls getToken() before every connect and every REST call', async () => {
    const { server, client } = setup();
    const { roomId } = server.startRoom();
    const issued: string[] = [];
    const getToken = vi.fn(async () => {
      issued.push(server.ownerToken());
      return issued.at(-1)!;
    });
    const conversation = client.connect(roomId, { getToken });
    await tick();
    server.sockets[0]!.serverClose();
    await tick(1000);
    expect(conversation.state).toBe('open');
    expect(server.sockets.map((s) => s.url.searchParams.get('token'))).toEqual([issued[0], issued[2]]);
    expect(server.authorizations).toEqual([`Bearer ${issued[1]}`, `Bearer ${issued[3]}`]);
    expect(getToken).toHaveBeenCalledTimes(4);
  });

  it('hears the owner typing and emits owner messages with sender_type', async () => {
    const { server, roomId, events } = await openVisitor();
    server.store(roomId, 'owner', 'Привет 🚗');
    await tick();
    expect(events.message).toMatchObject([{ text: 'Привет 🚗', sender_type: 'owner', room_id: roomId }]);
  });
});
