import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { closeAll, roomConnectionIds, sendAndEcho } from './support/chat.js';
import { MANY_ROOM_STARTS, useLocalStack } from './support/local-stack-fixture.js';
import { openSocket, refusalOf, type TestSocket } from './support/ws-client.js';

/** A visitor token, and an owner, hold at most SOCKETS_PER_ROOM_MEMBER open sockets in one room. */
const CAP = 3;

const local = useLocalStack({ environment: { ...MANY_ROOM_STARTS, SOCKETS_PER_ROOM_MEMBER: String(CAP) } });

/** Resolves true once the socket is closed, false if it is still open after `ms`. */
const closedWithin = (socket: TestSocket, ms: number) =>
  Promise.race([
    socket.closed.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
  ]);

describe('sockets per room member', () => {
  it('refuses the socket beyond the cap with 429, per role, and admits one again after a socket closes', async () => {
    const ownerId = randomUUID();
    const token = await local.api.ownerToken(ownerId);
    const room = await local.api.startChat(ownerId);
    const visitorUrl = local.api.roomUrl(room.room_id, `visitor=${room.visitor_token}`);
    const ownerUrl = local.api.roomUrl(room.room_id, `token=${token}`);

    const visitors: TestSocket[] = [];
    for (let i = 0; i < CAP; i += 1) visitors.push(await openSocket(visitorUrl));
    expect(await refusalOf(visitorUrl)).toBe('handshake refused: 429');
    // The owner's sockets are counted on their own.
    const owners: TestSocket[] = [];
    for (let i = 0; i < CAP; i += 1) owners.push(await openSocket(ownerUrl));
    expect(await refusalOf(ownerUrl)).toBe('handshake refused: 429');

    // The refused ones left nothing behind, and the admitted ones all work.
    expect(await roomConnectionIds(local.stack, room.room_id)).toHaveLength(2 * CAP);
    for (const socket of [...visitors, ...owners])
      await sendAndEcho(socket, `from a socket within the cap ${randomUUID()}`);

    // A socket closed makes room for a new one (once $disconnect has forgotten it).
    visitors[0]!.ws.close();
    await visitors[0]!.closed;
    await expect.poll(() => roomConnectionIds(local.stack, room.room_id), { timeout: 5000 }).toHaveLength(2 * CAP - 1);
    const again = await openSocket(visitorUrl);
    await sendAndEcho(again, 'back in');
    await closeAll([...visitors, ...owners, again]);
  });

  it('leaves no more than the cap open when many sockets of one member connect at once', async () => {
    for (let round = 1; round <= 3; round += 1) {
      const room = await local.api.startChat(randomUUID());
      const url = local.api.roomUrl(room.room_id, `visitor=${room.visitor_token}`);
      const attempts = await Promise.all(
        Array.from({ length: 12 }, () =>
          openSocket(url).then(
            (socket) => socket,
            (error: Error) => error.message,
          ),
        ),
      );
      const opened = attempts.filter((a): a is TestSocket => typeof a !== 'string');
      for (const refusal of attempts.filter((a) => typeof a === 'string'))
        expect(refusal).toBe('handshake refused: 429');
      // A socket that a slower, earlier-ranked handshake overtook is closed by the server, as
      // soon as the overtaking $connect has run (seconds on a loaded machine): wait for the
      // closes, then give a wrong extra close a moment to show.
      const isOpen = (socket: TestSocket) => socket.ws.readyState === socket.ws.OPEN;
      for (const deadline = Date.now() + 15_000; opened.filter(isOpen).length > CAP && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const closed = await Promise.all(opened.map((s) => closedWithin(s, 500)));
      const open = opened.filter((_, i) => !closed[i]);
      expect(open.length, `round ${round}: open sockets`).toBe(CAP);
      expect(await roomConnectionIds(local.stack, room.room_id)).toHaveLength(CAP);
      for (const socket of open) await sendAndEcho(socket, `still here ${randomUUID()}`);
      await closeAll(opened);
    }
  });
});
