import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { closeAll, sendAndEcho, waitForFrames } from './support/chat.js';
import { MANY_ROOM_STARTS, useLocalStack } from './support/local-stack-fixture.js';

/**
 * The per-socket limit counts every frame (pings, invalid frames, messages), and a socket
 * that keeps going after being told is disconnected.
 */
const FRAMES_PER_SECOND = 3;
const local = useLocalStack({
  environment: { ...MANY_ROOM_STARTS, MESSAGES_PER_SECOND_PER_CONNECTION: String(FRAMES_PER_SECOND) },
});

const parsed = (raw: string[]) => raw.map((r) => JSON.parse(r) as Record<string, unknown>);

describe('a flood from one socket', () => {
  it('of pings is limited like messages, and the socket is disconnected when it keeps on', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const flooder = await local.api.visitorSocket(room);
    const owner = await local.api.ownerSocket(room.room_id, token);

    for (let i = 0; i < 200 && flooder.ws.readyState === flooder.ws.OPEN; i += 1) flooder.ws.send('{"type":"ping"}');
    const { code } = await flooder.closed;

    const answers = parsed(flooder.received);
    const pongs = answers.filter((a) => a.type === 'pong');
    const refusals = answers.filter((a) => a.code === 'rate_limited');
    expect(pongs.length).toBeLessThanOrEqual(FRAMES_PER_SECOND * 2);
    expect(refusals.length).toBeGreaterThan(0);
    expect(answers.length).toBeLessThan(100);
    expect(code).toBe(1000);

    // Only that socket: the other side of the room still talks.
    await sendAndEcho(owner, 'still here');
    await closeAll([owner]);
  });

  it('of invalid frames costs the same: past the limit they are refused as too many', async () => {
    const room = await local.api.startChat(randomUUID());
    const visitor = await local.api.visitorSocket(room);

    for (let i = 0; i < FRAMES_PER_SECOND + 2; i += 1) visitor.ws.send('not json');
    await waitForFrames(visitor, (frames) => frames.length === FRAMES_PER_SECOND + 2, 'an answer per frame');

    const codes = parsed(visitor.received).map((a) => a.code);
    expect(codes).toEqual([...Array(FRAMES_PER_SECOND).fill('invalid_frame'), 'rate_limited', 'rate_limited']);
    expect(visitor.ws.readyState).toBe(visitor.ws.OPEN);
    await closeAll([visitor]);
  });
});
