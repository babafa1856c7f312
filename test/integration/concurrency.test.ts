import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  barrier,
  broadcastsOf,
  closeAll,
  framesOf,
  isBroadcast,
  sendAndEcho,
  type StartedRoom,
} from './support/chat.js';
import { backendKind } from './support/dynamodb-backend.js';
import { MANY_ROOM_STARTS, useLocalStack } from './support/local-stack-fixture.js';
import type { TestSocket } from './support/ws-client.js';

/** Many rooms talking at once: nothing lost, nothing doubled, nothing reordered, nothing misdelivered. */
/**
 * DynamoDB Local (a fresh JVM per file, one SQLite database behind it) slows down sharply
 * past about 30 sockets sending at once on a 2-core machine, until single handlers pass the
 * functions' 10 s timeout: a limit of the emulator, so it gets half the rooms. Dynalite and
 * DynamoDB itself take the full load.
 */
const ROOMS = backendKind() === 'dynamodb-local' ? 10 : 20;
const MESSAGES_PER_SIDE = 10;

const local = useLocalStack({
  environment: {
    // The highest value allowed: all rooms start from one address.
    ...MANY_ROOM_STARTS,
    // Each socket sends 10 messages in all, so this limit can never refuse one here.
    MESSAGES_PER_SECOND_PER_CONNECTION: '20',
  },
});

interface Member {
  room: StartedRoom;
  visitor: TestSocket;
  owner: TestSocket;
}

const text = (room: number, side: string, n: number) => `room ${room} ${side} #${n}`;

describe(`${ROOMS} rooms at once`, () => {
  it('deliver every message exactly once to both sockets of its room, in the order sent, and store it once', async () => {
    const ownerA = randomUUID();
    const ownerB = randomUUID();
    const tokens = { [ownerA]: await local.api.ownerToken(ownerA), [ownerB]: await local.api.ownerToken(ownerB) };
    // Two owners, so rooms of one owner and rooms of different owners run side by side.
    const owners = Array.from({ length: ROOMS }, (_, i) => (i % 2 === 0 ? ownerA : ownerB));
    const members: Member[] = await Promise.all(
      owners.map(async (ownerId) => {
        const room = await local.api.startChat(ownerId);
        const [visitor, owner] = await Promise.all([
          local.api.visitorSocket(room),
          local.api.ownerSocket(room.room_id, tokens[ownerId]!),
        ]);
        return { room, visitor, owner };
      }),
    );
    const sockets = members.flatMap((m) => [m.visitor, m.owner]);

    // Every side of every room sends its ten, each after its own echo, all sides at once.
    await Promise.all(
      members.flatMap(({ visitor, owner }, i) =>
        (
          [
            [visitor, 'visitor'],
            [owner, 'owner'],
          ] as const
        ).map(async ([socket, side]) => {
          for (let n = 1; n <= MESSAGES_PER_SIDE; n += 1) await sendAndEcho(socket, text(i, side, n));
        }),
      ),
    );
    await barrier(sockets);

    await Promise.all(
      members.map(async ({ room, visitor, owner }, i) => {
        const sent = {
          visitor: Array.from({ length: MESSAGES_PER_SIDE }, (_, n) => text(i, 'visitor', n + 1)),
          owner: Array.from({ length: MESSAGES_PER_SIDE }, (_, n) => text(i, 'owner', n + 1)),
        };
        const seen = [visitor, owner].map((socket) => {
          // Nothing but broadcasts of this room, each once, each side's in the order sent.
          // (Anything else, an error frame included, is named in the failure.)
          expect(framesOf(socket).filter((frame) => !isBroadcast(frame))).toEqual([]);
          expect(framesOf(socket)).toHaveLength(2 * MESSAGES_PER_SIDE);
          const broadcasts = broadcastsOf(socket);
          expect(broadcasts).toHaveLength(2 * MESSAGES_PER_SIDE);
          expect(broadcasts.every((b) => b.room_id === room.room_id)).toBe(true);
          expect(new Set(broadcasts.map((b) => b.id)).size).toBe(2 * MESSAGES_PER_SIDE);
          for (const side of ['visitor', 'owner'] as const) {
            expect(
              broadcasts.filter((b) => b.sender_type === side).map((b) => b.message),
              `room ${i}, ${side}`,
            ).toEqual(sent[side]);
          }
          return new Map(broadcasts.map((b) => [b.id, b]));
        });
        // Both sockets saw the same messages with the same ids and times.
        expect(seen[0]).toEqual(seen[1]);

        const history = await local.api.messages(room.room_id, { visitor: room.visitor_token });
        expect(history).toHaveLength(2 * MESSAGES_PER_SIDE);
        expect(new Set(history.map((m) => m.id))).toEqual(new Set(seen[0]!.keys()));
        for (const item of history) {
          const broadcast = seen[0]!.get(item.id)!;
          expect(item).toEqual({
            id: broadcast.id,
            room_id: room.room_id,
            sender_type: broadcast.sender_type,
            content: broadcast.message,
            created_at: broadcast.created_at,
          });
        }
        // Oldest first, and each side's messages in the order sent.
        const times = history.map((m) => m.created_at);
        expect(times).toEqual([...times].sort());
        for (const side of ['visitor', 'owner'] as const) {
          expect(history.filter((m) => m.sender_type === side).map((m) => m.content)).toEqual(sent[side]);
        }
      }),
    );
    // No handler failed or timed out along the way.
    expect(local.gatewayLines.filter((line) => /^\$(connect|default|disconnect): /.test(line))).toEqual([]);
    await closeAll(sockets);
  });
});
