import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynamoChatStore, type DynamoChatStoreOptions } from '../../../lambdas/adapters/dynamo-chat-store.js';
import { REPEATED_REFUSALS } from '../../../lambdas/domain/ports.js';
import type { ChatMessage, Room } from '../../../lambdas/domain/model.js';
import { hashVisitorToken } from '../../../lambdas/domain/visitor-token.js';
import { OWNER_A, ROOM_ID, UNKNOWN_UUID, VISITOR_TOKEN } from '../support/fixtures.js';
import { messageItem, roomItem } from '../support/table-items.js';

const TABLE = 'chat-table';
const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const nowSeconds = () => Math.floor(Date.now() / 1000);

function makeStore(overrides: Partial<DynamoChatStoreOptions> = {}) {
  return new DynamoChatStore({
    tableName: TABLE,
    client,
    retention: { connectionSeconds: 3 * 3600 },
    limits: { messagesPerSecond: 5, startsPerMinute: 10, startsPerHourPerOwner: 30 },
    ...overrides,
  });
}

const room: Room = {
  id: ROOM_ID,
  ownerId: OWNER_A,
  visitorName: 'Aziz',
  isActive: true,
  createdAt: '2026-02-05T11:00:00.000Z',
  updatedAt: '2026-02-05T11:00:00.000Z',
  visitorTokenHash: hashVisitorToken(VISITOR_TOKEN),
};

const message = (i: number, overrides: Partial<ChatMessage> = {}): ChatMessage => ({
  id: `0000000${i}-0000-4000-8000-000000000000`,
  roomId: ROOM_ID,
  senderType: 'visitor',
  content: `m${i}`,
  createdAt: `2026-02-05T11:00:0${i}.000Z`,
  ...overrides,
});

const inputs = <T extends object>(command: new (...args: never[]) => T) =>
  ddb.commandCalls(command as never).map((call) => call.args[0].input as Record<string, unknown>);

beforeEach(() => {
  ddb.reset();
});

afterEach(() => {
  // Every read is a GetItem or a Query on one partition: nothing ever scans the table.
  expect(ddb.commandCalls(ScanCommand)).toHaveLength(0);
});

describe('DynamoChatStore', () => {
  describe('rooms', () => {
    it('creates a room with a conditional put, indexed by owner and last activity', async () => {
      ddb.on(PutCommand).resolves({});

      await makeStore().createRoom(room);

      expect(inputs(PutCommand)).toEqual([
        { TableName: TABLE, Item: roomItem(), ConditionExpression: 'attribute_not_exists(pk)' },
      ]);
    });

    it('sets expires_at on a room when a room retention is configured', async () => {
      ddb.on(PutCommand).resolves({});

      await makeStore({ retention: { connectionSeconds: 60, roomSeconds: 86_400 } }).createRoom(room);

      expect(inputs(PutCommand)[0]?.Item).toMatchObject({ expires_at: Date.parse(room.updatedAt) / 1000 + 86_400 });
    });

    it('reads a room with a consistent GetItem', async () => {
      ddb.on(GetCommand).resolves({ Item: roomItem() });

      await expect(makeStore().getRoom(ROOM_ID)).resolves.toEqual(room);
      expect(inputs(GetCommand)).toEqual([
        { TableName: TABLE, Key: { pk: `ROOM#${ROOM_ID}`, sk: 'ROOM' }, ConsistentRead: true },
      ]);
    });

    it('answers undefined for a missing room', async () => {
      ddb.on(GetCommand).resolves({});

      await expect(makeStore().getRoom(ROOM_ID)).resolves.toBeUndefined();
    });

    it('treats a room past its expires_at as missing, even before TTL deleted it', async () => {
      ddb.on(GetCommand).resolves({ Item: roomItem({}, { expires_at: nowSeconds() - 5 }) });

      await expect(makeStore().getRoom(ROOM_ID)).resolves.toBeUndefined();
    });

    it('returns a room whose expires_at is still ahead', async () => {
      ddb.on(GetCommand).resolves({ Item: roomItem({}, { expires_at: nowSeconds() + 3600 }) });

      await expect(makeStore().getRoom(ROOM_ID)).resolves.toEqual(room);
    });

    it("judges expiry by the injected clock, not the machine's", async () => {
      const fixed = (iso: string) => ({ now: () => new Date(iso) });
      ddb
        .on(GetCommand)
        .resolves({ Item: roomItem({}, { expires_at: Date.parse('2026-02-05T12:00:00.000Z') / 1000 }) });

      await expect(makeStore({ clock: fixed('2026-02-05T11:59:59.000Z') }).getRoom(ROOM_ID)).resolves.toEqual(room);
      await expect(makeStore({ clock: fixed('2026-02-05T12:00:00.000Z') }).getRoom(ROOM_ID)).resolves.toBeUndefined();
    });

    it("lists an owner's rooms from the by-owner index, newest first, across pages, without expired ones", async () => {
      const second = '7c2f8b9d-0e1a-4b2c-9d3e-4f5a6b7c8d9e';
      const expired = '8d3a9c0e-1f2b-4c3d-8e4f-5a6b7c8d9e0f';
      ddb
        .on(QueryCommand)
        .resolvesOnce({ Items: [roomItem({ id: second })], LastEvaluatedKey: { pk: 'x', sk: 'y' } })
        .resolvesOnce({ Items: [roomItem({ id: expired }, { expires_at: nowSeconds() - 1 }), roomItem()] });

      const rooms = await makeStore().listRoomsByOwner(OWNER_A);

      expect(rooms.map((r) => r.id)).toEqual([second, ROOM_ID]);
      const queries = inputs(QueryCommand);
      expect(queries[0]).toMatchObject({
        TableName: TABLE,
        IndexName: 'by-owner',
        KeyConditionExpression: 'gsi1pk = :owner',
        ExpressionAttributeValues: { ':owner': `OWNER#${OWNER_A}` },
        ScanIndexForward: false,
      });
      expect(queries[0]).not.toHaveProperty('ConsistentRead', true);
      expect(queries[1]).toMatchObject({ ExclusiveStartKey: { pk: 'x', sk: 'y' } });
    });

    it('orders the rooms by latest activity, not by the index (which is keyed by creation)', async () => {
      const older = '7c2f8b9d-0e1a-4b2c-9d3e-4f5a6b7c8d9e';
      const newer = '8d3a9c0e-1f2b-4c3d-8e4f-5a6b7c8d9e0f';
      // Index order (newest created first): `newer` was created last but `older` talked last.
      ddb.on(QueryCommand).resolves({
        Items: [
          roomItem({ id: newer, createdAt: '2026-02-05T12:00:00.000Z', updatedAt: '2026-02-05T12:00:00.000Z' }),
          roomItem({ id: older, createdAt: '2026-02-05T10:00:00.000Z', updatedAt: '2026-02-05T13:00:00.000Z' }),
        ],
      });

      const rooms = await makeStore().listRoomsByOwner(OWNER_A);

      expect(rooms.map((r) => r.id)).toEqual([older, newer]);
    });

    it('keys a new room in the owner index by its creation time, which a touch never changes', async () => {
      ddb.on(PutCommand).resolves({});

      await makeStore().createRoom({
        ...room,
        createdAt: '2026-02-05T09:00:00.000Z',
        updatedAt: '2026-02-05T09:00:00.000Z',
      });

      expect(inputs(PutCommand)[0]?.Item).toMatchObject({
        gsi1pk: `OWNER#${OWNER_A}`,
        gsi1sk: `2026-02-05T09:00:00.000Z#${ROOM_ID}`,
      });
    });

    it('closes a room with one conditional UpdateItem and returns it as it is now', async () => {
      const at = '2026-02-05T12:00:00.000Z';
      ddb.on(UpdateCommand).resolves({ Attributes: roomItem({ isActive: false, updatedAt: at }) });

      const closed = await makeStore().closeRoom(ROOM_ID, at);

      expect(closed).toEqual({ ...room, isActive: false, updatedAt: at });
      expect(inputs(UpdateCommand)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: `ROOM#${ROOM_ID}`, sk: 'ROOM' },
          UpdateExpression: 'SET is_active = :false, updated_at = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':false': false, ':at': at },
          ReturnValues: 'ALL_NEW',
        },
      ]);
    });

    it('answers undefined when closing a room that does not exist', async () => {
      ddb.on(UpdateCommand).rejects(conditionFailed());

      await expect(makeStore().closeRoom(ROOM_ID, room.updatedAt)).resolves.toBeUndefined();
    });

    describe('touch room (count a message)', () => {
      const at = '2026-02-05T12:00:00.000Z';
      const counting = 'is_active = :true AND (attribute_not_exists(message_count) OR message_count < :max)';
      const sent = { '#sent': 'sent_visitor' };
      const counts =
        'message_count = if_not_exists(message_count, :zero) + :one, #sent = if_not_exists(#sent, :zero) + :one';
      const visitorMessage = message(7, { createdAt: at });
      const counted = roomItem({ updatedAt: at }, { message_count: 3, sent_visitor: 2, sent_owner: 1 });

      it('counts the message and its side, checks the room is open and not full, and moves updated_at and the preview forward, in one UpdateItem', async () => {
        ddb.on(UpdateCommand).resolves({ Attributes: counted });

        await expect(makeStore().touchRoom(visitorMessage, 100)).resolves.toEqual({
          outcome: 'counted',
          room: expect.objectContaining({ id: ROOM_ID, sentBy: { owner: 1, visitor: 2 } }),
        });

        expect(inputs(UpdateCommand)).toEqual([
          {
            TableName: TABLE,
            Key: { pk: `ROOM#${ROOM_ID}`, sk: 'ROOM' },
            UpdateExpression: `SET ${counts}, updated_at = :at, last_message = :last, last_key = :key`,
            ConditionExpression: `${counting} AND updated_at < :at`,
            ExpressionAttributeNames: sent,
            ExpressionAttributeValues: {
              ':true': true,
              ':max': 100,
              ':zero': 0,
              ':one': 1,
              ':at': at,
              ':last': {
                id: visitorMessage.id,
                sender_type: 'visitor',
                content: visitorMessage.content,
                created_at: at,
              },
              ':key': `${at}#${visitorMessage.id}`,
            },
            ReturnValues: 'ALL_NEW',
          },
        ]);
        expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
      });

      it('counts an owner message on the owner side', async () => {
        ddb.on(UpdateCommand).resolves({ Attributes: counted });

        await makeStore().touchRoom({ ...visitorMessage, senderType: 'owner' }, 100);

        expect(inputs(UpdateCommand)[0]).toMatchObject({ ExpressionAttributeNames: { '#sent': 'sent_owner' } });
      });

      it('renews the room expiry when a room retention is configured', async () => {
        ddb.on(UpdateCommand).resolves({ Attributes: counted });

        await makeStore({ retention: { connectionSeconds: 60, roomSeconds: 100 } }).touchRoom(visitorMessage, 100);

        expect(inputs(UpdateCommand)[0]).toMatchObject({
          UpdateExpression: `SET ${counts}, updated_at = :at, last_message = :last, last_key = :key, expires_at = :expires`,
          ExpressionAttributeValues: { ':expires': Date.parse(at) / 1000 + 100 },
        });
      });

      it('answers closed, after one consistent read, for a closed room', async () => {
        ddb.on(UpdateCommand).rejects(conditionFailed());
        ddb.on(GetCommand).resolves({ Item: { is_active: false, message_count: 3 } });

        await expect(makeStore().touchRoom(visitorMessage, 100)).resolves.toEqual({ outcome: 'closed' });
        expect(inputs(GetCommand)).toEqual([
          {
            TableName: TABLE,
            Key: { pk: `ROOM#${ROOM_ID}`, sk: 'ROOM' },
            ConsistentRead: true,
            ProjectionExpression: 'is_active, message_count',
          },
        ]);
        expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
      });

      it('answers closed for a room that does not exist', async () => {
        ddb.on(UpdateCommand).rejects(conditionFailed());
        ddb.on(GetCommand).resolves({});

        await expect(makeStore().touchRoom(visitorMessage, 100)).resolves.toEqual({ outcome: 'closed' });
      });

      it('answers full for a room at the maximum', async () => {
        ddb.on(UpdateCommand).rejects(conditionFailed());
        ddb.on(GetCommand).resolves({ Item: { is_active: true, message_count: 100 } });

        await expect(makeStore().touchRoom(visitorMessage, 100)).resolves.toEqual({ outcome: 'full' });
      });

      it('still counts an out-of-order message, without moving updated_at or the preview back', async () => {
        ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({ Attributes: counted });
        ddb.on(GetCommand).resolves({ Item: { is_active: true, message_count: 5 } });

        await expect(makeStore().touchRoom(visitorMessage, 100)).resolves.toMatchObject({ outcome: 'counted' });

        expect(inputs(UpdateCommand)[1]).toEqual({
          TableName: TABLE,
          Key: { pk: `ROOM#${ROOM_ID}`, sk: 'ROOM' },
          UpdateExpression: `SET ${counts}`,
          ConditionExpression: counting,
          ExpressionAttributeNames: sent,
          ExpressionAttributeValues: { ':true': true, ':max': 100, ':zero': 0, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        });
      });

      it('answers why when the room closed or filled between the read and the second write', async () => {
        ddb.on(UpdateCommand).rejects(conditionFailed());
        ddb
          .on(GetCommand)
          .resolvesOnce({ Item: { is_active: true, message_count: 5 } })
          .resolvesOnce({ Item: { is_active: true, message_count: 100 } });

        await expect(makeStore().touchRoom(visitorMessage, 100)).resolves.toEqual({ outcome: 'full' });
      });

      it('recognises a condition failure by name too', async () => {
        ddb.on(UpdateCommand).rejects(Object.assign(new Error('failed'), { name: 'ConditionalCheckFailedException' }));
        ddb.on(GetCommand).resolves({ Item: { is_active: false } });

        await expect(makeStore().touchRoom(visitorMessage, 100)).resolves.toEqual({ outcome: 'closed' });
      });

      it('rethrows any other failure', async () => {
        ddb
          .on(UpdateCommand)
          .rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));

        await expect(makeStore().touchRoom(visitorMessage, 100)).rejects.toThrow('slow down');
      });

      it("takes a count back, the side's count too, never below zero", async () => {
        ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});

        await expect(makeStore().uncountMessage(ROOM_ID, 'visitor')).resolves.toBeUndefined();
        await makeStore().uncountMessage(ROOM_ID, 'visitor');

        expect(inputs(UpdateCommand)[1]).toEqual({
          TableName: TABLE,
          Key: { pk: `ROOM#${ROOM_ID}`, sk: 'ROOM' },
          UpdateExpression: 'SET message_count = message_count - :one, #sent = if_not_exists(#sent, :one) - :one',
          ConditionExpression: 'message_count > :zero',
          ExpressionAttributeNames: sent,
          ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
        });
      });
    });

    describe('read receipts', () => {
      const read = message(3, { createdAt: '2026-02-05T12:00:00.000Z' });
      const key = `${read.createdAt}#${read.id}`;
      const readAt = '2026-02-05T12:00:05.000Z';
      const names = {
        '#id': 'read_owner_id',
        '#key': 'read_owner_key',
        '#at': 'read_owner_at',
        '#count': 'read_owner_count',
        '#otherSent': 'sent_visitor',
      };
      const forward = 'attribute_exists(pk) AND (attribute_not_exists(#key) OR #key < :key)';
      const after = roomItem(
        {},
        { sent_visitor: 4, read_owner_id: read.id, read_owner_key: key, read_owner_count: 4, read_owner_at: readAt },
      );

      it("reading the newest message copies the other side's count in one conditional UpdateItem, forward only", async () => {
        ddb.on(UpdateCommand).resolves({ Attributes: after });

        const outcome = await makeStore().markRead(read, 'owner', readAt);

        expect(outcome).toEqual({
          moved: true,
          room: expect.objectContaining({
            lastRead: { owner: { messageId: read.id, timeKey: key, count: 4, readAt } },
          }),
        });
        expect(inputs(UpdateCommand)).toEqual([
          {
            TableName: TABLE,
            Key: { pk: `ROOM#${ROOM_ID}`, sk: 'ROOM' },
            UpdateExpression: 'SET #id = :id, #key = :key, #at = :readAt, #count = if_not_exists(#otherSent, :zero)',
            ConditionExpression: `${forward} AND (attribute_not_exists(last_key) OR last_key <= :key)`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':id': read.id, ':key': key, ':readAt': readAt, ':zero': 0 },
            ReturnValues: 'ALL_NEW',
          },
        ]);
        expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
        expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
      });

      it('leaves a position that is already there or further, and answers it', async () => {
        ddb.on(UpdateCommand).rejects(conditionFailed());
        const further = roomItem(
          {},
          {
            read_owner_id: 'later',
            read_owner_key: `2026-02-05T13:00:00.000Z#later`,
            read_owner_count: 9,
            read_owner_at: readAt,
          },
        );
        ddb.on(GetCommand).resolves({ Item: further });

        await expect(makeStore().markRead(read, 'owner', readAt)).resolves.toEqual({
          moved: false,
          room: expect.objectContaining({ lastRead: { owner: expect.objectContaining({ messageId: 'later' }) } }),
        });
        expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
      });

      it("reading an older message counts the other side's newer messages and takes them from its count, if the count stood still", async () => {
        ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({ Attributes: after });
        ddb.on(GetCommand).resolves({ Item: roomItem({}, { sent_visitor: 6 }) });
        ddb.on(QueryCommand).resolves({ Count: 2 });

        await expect(makeStore().markRead(read, 'owner', readAt)).resolves.toMatchObject({ moved: true });

        expect(inputs(QueryCommand)[0]).toMatchObject({
          IndexName: 'by-time',
          KeyConditionExpression: 'pk = :room AND lsi1sk > :after',
          FilterExpression: 'sender_type = :side',
          ExpressionAttributeValues: { ':room': `ROOM#${ROOM_ID}`, ':after': key, ':side': 'visitor' },
          Select: 'COUNT',
          ConsistentRead: true,
        });
        expect(inputs(UpdateCommand)[1]).toMatchObject({
          UpdateExpression: 'SET #id = :id, #key = :key, #at = :readAt, #count = :count',
          ConditionExpression: `${forward} AND #otherSent = :seen`,
          ExpressionAttributeValues: { ':count': 4, ':seen': 6 },
        });
      });

      it('answers undefined for a room that is gone', async () => {
        ddb.on(UpdateCommand).rejects(conditionFailed());
        ddb.on(GetCommand).resolves({});

        await expect(makeStore().markRead(read, 'owner', readAt)).resolves.toBeUndefined();
      });
    });
  });

  describe('messages', () => {
    it('deletes a message by its key (taking back a message its room refused)', async () => {
      ddb.on(DeleteCommand).resolves({});

      await makeStore().deleteMessage(ROOM_ID, message(1).id);

      expect(inputs(DeleteCommand)).toEqual([
        { TableName: TABLE, Key: { pk: `ROOM#${ROOM_ID}`, sk: `MSG#${message(1).id}` } },
      ]);
    });

    it('stores a message with a put conditioned on attribute_not_exists', async () => {
      ddb.on(PutCommand).resolves({});
      const m = message(1, { clientId: UNKNOWN_UUID });

      await expect(makeStore().putMessage(m)).resolves.toEqual({ stored: true });

      expect(inputs(PutCommand)).toEqual([
        {
          TableName: TABLE,
          Item: messageItem(m, { expires_at: undefined }),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      ]);
      expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    });

    it('sets expires_at on a message when a message retention is configured', async () => {
      ddb.on(PutCommand).resolves({});
      const m = message(1);

      await makeStore({ retention: { connectionSeconds: 60, messageSeconds: 30 } }).putMessage(m);

      expect(inputs(PutCommand)[0]?.Item).toMatchObject({ expires_at: Date.parse(m.createdAt) / 1000 + 30 });
    });

    it('answers a duplicate id with the original, read with GetItem', async () => {
      const original = message(1, { content: 'first', clientId: UNKNOWN_UUID });
      ddb.on(PutCommand).rejects(conditionFailed());
      ddb.on(GetCommand).resolves({ Item: messageItem(original) });

      const result = await makeStore().putMessage({
        ...original,
        content: 'retry',
        createdAt: '2026-02-05T11:09:00.000Z',
      });

      expect(result).toEqual({ stored: false, original });
      expect(inputs(GetCommand)).toEqual([
        { TableName: TABLE, Key: { pk: `ROOM#${ROOM_ID}`, sk: `MSG#${original.id}` }, ConsistentRead: true },
      ]);
    });

    it('rethrows when the duplicate cannot be read back', async () => {
      ddb.on(PutCommand).rejects(conditionFailed());
      ddb.on(GetCommand).resolves({});

      await expect(makeStore().putMessage(message(1))).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    });

    it('rethrows any other failure of the put', async () => {
      ddb.on(PutCommand).rejects(new Error('throttled'));

      await expect(makeStore().putMessage(message(1))).rejects.toThrow('throttled');
      expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    });

    it('reads one message with a consistent GetItem and hides an expired one', async () => {
      ddb
        .on(GetCommand)
        .resolvesOnce({ Item: messageItem(message(1)) })
        .resolvesOnce({ Item: messageItem(message(1), { expires_at: nowSeconds() - 1 }) });
      const store = makeStore();

      await expect(store.getMessage(ROOM_ID, message(1).id)).resolves.toEqual(message(1));
      await expect(store.getMessage(ROOM_ID, message(1).id)).resolves.toBeUndefined();
    });

    it('lists the whole history newest first on the by-time index with ConsistentRead, and returns it oldest first', async () => {
      ddb.on(QueryCommand).resolves({ Items: [messageItem(message(2)), messageItem(message(1))] });

      const slice = await makeStore().listMessages(ROOM_ID, {});

      expect(slice).toEqual({ messages: [message(1), message(2)], more: false });
      expect(inputs(QueryCommand)).toEqual([
        {
          TableName: TABLE,
          IndexName: 'by-time',
          KeyConditionExpression: 'pk = :room',
          ExpressionAttributeValues: { ':room': `ROOM#${ROOM_ID}` },
          ScanIndexForward: false,
          ConsistentRead: true,
          ExclusiveStartKey: undefined,
          Limit: undefined,
        },
      ]);
    });

    it('follows LastEvaluatedKey until the history is read', async () => {
      ddb
        .on(QueryCommand)
        .resolvesOnce({ Items: [messageItem(message(2))], LastEvaluatedKey: { pk: 'a', sk: 'b' } })
        .resolvesOnce({ Items: [messageItem(message(1))] });

      await expect(makeStore().listMessages(ROOM_ID, {})).resolves.toEqual({
        messages: [message(1), message(2)],
        more: false,
      });
      expect(inputs(QueryCommand)[1]).toMatchObject({ ExclusiveStartKey: { pk: 'a', sk: 'b' } });
    });

    it('with a limit reads newest first and returns them oldest first', async () => {
      ddb
        .on(QueryCommand)
        .resolves({ Items: [messageItem(message(5)), messageItem(message(4)), messageItem(message(3))] });

      const slice = await makeStore().listMessages(ROOM_ID, { limit: 2 });

      expect(slice).toEqual({ messages: [message(4), message(5)], more: true });
      expect(inputs(QueryCommand)[0]).toMatchObject({ ScanIndexForward: false, ConsistentRead: true, Limit: 4 });
    });

    it('with before reads below its time key', async () => {
      ddb.on(QueryCommand).resolves({ Items: [] });
      const before = message(5);

      await makeStore().listMessages(ROOM_ID, { before });

      expect(inputs(QueryCommand)[0]).toMatchObject({
        IndexName: 'by-time',
        KeyConditionExpression: 'pk = :room AND lsi1sk < :upper',
        ExpressionAttributeValues: { ':room': `ROOM#${ROOM_ID}`, ':upper': `${before.createdAt}#${before.id}` },
        ScanIndexForward: false,
      });
    });

    it('stops before the first message that does not fit, newest first, and says more remain', async () => {
      ddb.on(QueryCommand).resolves({ Items: [5, 4, 3, 2].map((n) => messageItem(message(n))) });
      const asked: string[] = [];

      const slice = await makeStore().listMessages(ROOM_ID, {
        fits: (m) => {
          asked.push(m.id);
          return asked.length <= 2;
        },
      });

      expect(slice).toEqual({ messages: [message(4), message(5)], more: true });
      expect(asked).toEqual([message(5).id, message(4).id, message(3).id]);
    });

    it('with after and a limit reads forward above its time key', async () => {
      ddb.on(QueryCommand).resolves({ Items: [messageItem(message(3)), messageItem(message(4))] });
      const after = message(2);

      const slice = await makeStore().listMessages(ROOM_ID, { after, limit: 2 });

      expect(slice).toEqual({ messages: [message(3), message(4)], more: false });
      expect(inputs(QueryCommand)[0]).toMatchObject({
        KeyConditionExpression: 'pk = :room AND lsi1sk > :lower',
        ExpressionAttributeValues: { ':lower': `${after.createdAt}#${after.id}` },
        ScanIndexForward: true,
      });
    });

    it('with after and before reads BETWEEN and leaves both bounds out', async () => {
      const [after, before] = [message(1), message(4)];
      ddb.on(QueryCommand).resolves({ Items: [after, message(2), message(3), before].map((m) => messageItem(m)) });

      const slice = await makeStore().listMessages(ROOM_ID, { after, before });

      expect(slice).toEqual({ messages: [message(2), message(3)], more: false });
      expect(inputs(QueryCommand)[0]).toMatchObject({
        KeyConditionExpression: 'pk = :room AND lsi1sk BETWEEN :lower AND :upper',
        ExpressionAttributeValues: {
          ':lower': `${after.createdAt}#${after.id}`,
          ':upper': `${before.createdAt}#${before.id}`,
        },
      });
    });

    it('answers an empty range (after not older than before) without a query DynamoDB would reject', async () => {
      const slice = await makeStore().listMessages(ROOM_ID, { after: message(4), before: message(2) });

      expect(slice).toEqual({ messages: [], more: false });
      expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
    });

    it('leaves expired messages out of the history', async () => {
      ddb.on(QueryCommand).resolves({
        Items: [
          messageItem(message(2), { expires_at: nowSeconds() + 60 }),
          messageItem(message(1), { expires_at: nowSeconds() - 1 }),
        ],
      });

      await expect(makeStore().listMessages(ROOM_ID, {})).resolves.toEqual({ messages: [message(2)], more: false });
    });
  });

  describe('connections', () => {
    const CONNECTED_AT = 1_770_289_200_123;

    it('saves a room socket as a meta row and a room membership row, both with expires_at', async () => {
      ddb.on(PutCommand).resolves({});

      await makeStore().saveConnection(
        { connectionId: 'c-1', identity: { kind: 'room', roomId: ROOM_ID, ownerId: OWNER_A, role: 'visitor' } },
        CONNECTED_AT,
      );

      const expiresAt = Math.floor(CONNECTED_AT / 1000) + 3 * 3600;
      expect(inputs(PutCommand)).toEqual([
        {
          TableName: TABLE,
          Item: {
            pk: 'CONN#c-1',
            sk: 'CONN',
            connection_id: 'c-1',
            kind: 'room',
            role: 'visitor',
            owner_id: OWNER_A,
            room_id: ROOM_ID,
            connected_at: CONNECTED_AT,
            expires_at: expiresAt,
          },
        },
        {
          TableName: TABLE,
          Item: {
            pk: `ROOM#${ROOM_ID}`,
            sk: 'CONN#c-1',
            role: 'visitor',
            connected_at: CONNECTED_AT,
            connection_id: 'c-1',
            expires_at: expiresAt,
          },
        },
      ]);
    });

    it("saves an inbox socket under the owner's partition", async () => {
      ddb.on(PutCommand).resolves({});

      await makeStore({ retention: { connectionSeconds: 60 } }).saveConnection(
        { connectionId: 'c-2', identity: { kind: 'inbox', ownerId: OWNER_A, role: 'owner' } },
        CONNECTED_AT,
      );

      const [meta, membership] = inputs(PutCommand);
      expect(meta?.Item).toMatchObject({
        pk: 'CONN#c-2',
        kind: 'inbox',
        owner_id: OWNER_A,
        expires_at: Math.floor(CONNECTED_AT / 1000) + 60,
      });
      expect(membership?.Item).toEqual({
        pk: `OWNER#${OWNER_A}`,
        sk: 'INBOX#c-2',
        connection_id: 'c-2',
        expires_at: Math.floor(CONNECTED_AT / 1000) + 60,
      });
    });

    describe('admit frame', () => {
      const NOW_MS = 1_770_289_300_000;
      const metaItem = { pk: 'CONN#c-1', sk: 'CONN', kind: 'room', role: 'owner', owner_id: OWNER_A, room_id: ROOM_ID };

      it('counts the send and reads the identity in one UpdateItem with the sliding-window condition', async () => {
        ddb.on(UpdateCommand).resolves({ Attributes: metaItem });

        const admission = await makeStore().admitFrame('c-1', NOW_MS);

        expect(admission).toEqual({
          admitted: true,
          identity: { kind: 'room', roomId: ROOM_ID, ownerId: OWNER_A, role: 'owner' },
        });
        expect(inputs(UpdateCommand)).toEqual([
          {
            TableName: TABLE,
            Key: { pk: 'CONN#c-1', sk: 'CONN' },
            UpdateExpression:
              'SET rl0 = :now, rl1 = if_not_exists(rl0, :zero), rl2 = if_not_exists(rl1, :zero), ' +
              'rl3 = if_not_exists(rl2, :zero), rl4 = if_not_exists(rl3, :zero)',
            ExpressionAttributeValues: { ':now': NOW_MS, ':windowStart': NOW_MS - 1000, ':zero': 0 },
            ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(rl4) OR rl4 <= :windowStart)',
            ReturnValues: 'ALL_NEW',
          },
        ]);
        expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
      });

      it('with a limit of one uses no :zero value, which DynamoDB would refuse as unused', async () => {
        ddb.on(UpdateCommand).resolves({ Attributes: metaItem });

        await makeStore({
          limits: { messagesPerSecond: 1, startsPerMinute: 10, startsPerHourPerOwner: 30 },
        }).admitFrame('c-1', NOW_MS);

        expect(inputs(UpdateCommand)[0]).toMatchObject({
          UpdateExpression: 'SET rl0 = :now',
          ExpressionAttributeValues: { ':now': NOW_MS, ':windowStart': NOW_MS - 1000 },
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(rl0) OR rl0 <= :windowStart)',
        });
      });

      it('reads an inbox identity back', async () => {
        ddb
          .on(UpdateCommand)
          .resolves({ Attributes: { pk: 'CONN#c-1', sk: 'CONN', kind: 'inbox', role: 'owner', owner_id: OWNER_A } });

        await expect(makeStore().admitFrame('c-1', NOW_MS)).resolves.toEqual({
          admitted: true,
          identity: { kind: 'inbox', ownerId: OWNER_A, role: 'owner' },
        });
      });

      it('answers rate-limited when the condition fails on an existing connection, logging the refusal on the row', async () => {
        ddb
          .on(UpdateCommand)
          .rejectsOnce(conditionFailed())
          .resolves({ Attributes: { ...metaItem, rf0: NOW_MS } });

        await expect(makeStore().admitFrame('c-1', NOW_MS)).resolves.toEqual({
          admitted: false,
          reason: 'rate-limited',
          repeated: false,
        });
        const sets = Array.from(
          { length: REPEATED_REFUSALS.count - 1 },
          (_, i) => `rf${i + 1} = if_not_exists(rf${i}, :zero)`,
        );
        expect(inputs(UpdateCommand)[1]).toEqual({
          TableName: TABLE,
          Key: { pk: 'CONN#c-1', sk: 'CONN' },
          UpdateExpression: `SET rf0 = :now, ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': NOW_MS, ':zero': 0 },
          ReturnValues: 'ALL_NEW',
        });
        expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
      });

      it('says repeated when the oldest logged refusal is within the window', async () => {
        const last = `rf${REPEATED_REFUSALS.count - 1}`;
        ddb
          .on(UpdateCommand)
          .rejectsOnce(conditionFailed())
          .resolvesOnce({ Attributes: { ...metaItem, [last]: NOW_MS - REPEATED_REFUSALS.withinMs + 1 } })
          .rejectsOnce(conditionFailed())
          .resolvesOnce({ Attributes: { ...metaItem, [last]: NOW_MS - REPEATED_REFUSALS.withinMs } });

        await expect(makeStore().admitFrame('c-1', NOW_MS)).resolves.toMatchObject({ repeated: true });
        await expect(makeStore().admitFrame('c-1', NOW_MS)).resolves.toMatchObject({ repeated: false });
      });

      it('answers unknown-connection when the condition fails and no connection row exists', async () => {
        ddb.on(UpdateCommand).rejects(conditionFailed());

        await expect(makeStore().admitFrame('c-1', NOW_MS)).resolves.toEqual({
          admitted: false,
          reason: 'unknown-connection',
        });
      });

      it('rethrows any other failure', async () => {
        ddb.on(UpdateCommand).rejects(new Error('throttled'));

        await expect(makeStore().admitFrame('c-1', NOW_MS)).rejects.toThrow('throttled');
      });

      it('a typing frame moves the relay time in the same UpdateItem, on the condition that the last relay is older than the interval', async () => {
        ddb.on(UpdateCommand).resolves({ Attributes: metaItem });

        await expect(makeStore().admitFrame('c-1', NOW_MS, { everyMs: 2000 })).resolves.toMatchObject({
          admitted: true,
          relayTyping: true,
        });

        expect(inputs(UpdateCommand)).toHaveLength(1);
        expect(inputs(UpdateCommand)[0]).toMatchObject({
          UpdateExpression: expect.stringMatching(
            /^SET rl0 = :now, .*rl4 = if_not_exists\(rl3, :zero\), typing_at = :now$/,
          ),
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(rl4) OR rl4 <= :windowStart) AND ' +
            '(attribute_not_exists(typing_at) OR typing_at <= :typingStart)',
          ExpressionAttributeValues: { ':now': NOW_MS, ':typingStart': NOW_MS - 2000 },
        });
      });

      it('a typing frame within the interval is admitted as any frame and not relayed', async () => {
        ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({ Attributes: metaItem });

        await expect(makeStore().admitFrame('c-1', NOW_MS, { everyMs: 2000 })).resolves.toMatchObject({
          admitted: true,
          relayTyping: false,
        });

        expect(inputs(UpdateCommand)[1]).not.toHaveProperty('ExpressionAttributeValues.:typingStart');
        expect(inputs(UpdateCommand)[1]?.UpdateExpression).not.toContain('typing_at');
      });

      it('a typing frame over the frame limit is refused as any frame', async () => {
        ddb
          .on(UpdateCommand)
          .rejectsOnce(conditionFailed())
          .rejectsOnce(conditionFailed())
          .resolves({ Attributes: metaItem });

        await expect(makeStore().admitFrame('c-1', NOW_MS, { everyMs: 2000 })).resolves.toMatchObject({
          admitted: false,
          reason: 'rate-limited',
        });
      });

      it('with the limit disabled only reads the connection', async () => {
        ddb.on(GetCommand).resolvesOnce({ Item: metaItem }).resolvesOnce({});
        const store = makeStore({ limits: { messagesPerSecond: 0, startsPerMinute: 10, startsPerHourPerOwner: 30 } });

        await expect(store.admitFrame('c-1', NOW_MS)).resolves.toMatchObject({ admitted: true });
        await expect(store.admitFrame('c-1', NOW_MS)).resolves.toEqual({
          admitted: false,
          reason: 'unknown-connection',
        });
        expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
      });
    });

    it('removes a connection and its room membership, returning who it was', async () => {
      ddb
        .on(DeleteCommand)
        .resolvesOnce({
          Attributes: {
            pk: 'CONN#c-1',
            sk: 'CONN',
            kind: 'room',
            role: 'visitor',
            owner_id: OWNER_A,
            room_id: ROOM_ID,
          },
        })
        .resolves({});

      const identity = await makeStore().removeConnectionById('c-1');

      expect(identity).toEqual({ kind: 'room', roomId: ROOM_ID, ownerId: OWNER_A, role: 'visitor' });
      expect(inputs(DeleteCommand)).toEqual([
        { TableName: TABLE, Key: { pk: 'CONN#c-1', sk: 'CONN' }, ReturnValues: 'ALL_OLD' },
        { TableName: TABLE, Key: { pk: `ROOM#${ROOM_ID}`, sk: 'CONN#c-1' } },
      ]);
    });

    it('removes an inbox connection and its inbox row', async () => {
      ddb
        .on(DeleteCommand)
        .resolvesOnce({ Attributes: { pk: 'CONN#c-1', sk: 'CONN', kind: 'inbox', role: 'owner', owner_id: OWNER_A } })
        .resolves({});

      await makeStore().removeConnectionById('c-1');

      expect(inputs(DeleteCommand)[1]).toEqual({ TableName: TABLE, Key: { pk: `OWNER#${OWNER_A}`, sk: 'INBOX#c-1' } });
    });

    it('answers undefined for a connection already removed, with one delete', async () => {
      ddb.on(DeleteCommand).resolves({});

      await expect(makeStore().removeConnectionById('c-1')).resolves.toBeUndefined();
      expect(ddb.commandCalls(DeleteCommand)).toHaveLength(1);
    });

    it('forgets a known connection by deleting both rows', async () => {
      ddb.on(DeleteCommand).resolves({});

      await makeStore().removeKnownConnection({
        connectionId: 'c-1',
        identity: { kind: 'room', roomId: ROOM_ID, ownerId: OWNER_A, role: 'owner' },
      });

      expect(inputs(DeleteCommand).map((input) => input.Key)).toEqual([
        { pk: 'CONN#c-1', sk: 'CONN' },
        { pk: `ROOM#${ROOM_ID}`, sk: 'CONN#c-1' },
      ]);
    });

    it("lists a room's sockets with one consistent Query on the room partition", async () => {
      ddb.on(QueryCommand).resolves({
        Items: [
          { connection_id: 'c-1', role: 'visitor' },
          { connection_id: 'c-2', role: 'owner' },
        ],
      });

      const connections = await makeStore().listRoomConnections(ROOM_ID);

      expect(connections).toEqual([
        { connectionId: 'c-1', role: 'visitor' },
        { connectionId: 'c-2', role: 'owner' },
      ]);
      expect(inputs(QueryCommand)[0]).toMatchObject({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :room AND begins_with(sk, :conn)',
        ExpressionAttributeValues: { ':room': `ROOM#${ROOM_ID}`, ':conn': 'CONN#' },
        ConsistentRead: true,
      });
      expect(inputs(QueryCommand)[0]).not.toHaveProperty('IndexName');
    });

    it("lists an owner's inbox sockets with one consistent Query on the owner partition", async () => {
      ddb.on(QueryCommand).resolves({ Items: [{ connection_id: 'c-9' }] });

      await expect(makeStore().listInboxConnections(OWNER_A)).resolves.toEqual(['c-9']);
      expect(inputs(QueryCommand)[0]).toMatchObject({
        KeyConditionExpression: 'pk = :owner AND begins_with(sk, :inbox)',
        ExpressionAttributeValues: { ':owner': `OWNER#${OWNER_A}`, ':inbox': 'INBOX#' },
        ConsistentRead: true,
      });
    });
  });

  describe('room start limit', () => {
    const NOW_MS = 1_770_289_300_000;

    it('admits a start with one conditional UpdateItem on the address row, which expires', async () => {
      ddb.on(UpdateCommand).resolves({});

      await expect(
        makeStore({ limits: { messagesPerSecond: 5, startsPerMinute: 2, startsPerHourPerOwner: 30 } }).admitRoomStart(
          '203.0.113.7',
          NOW_MS,
        ),
      ).resolves.toBe(true);

      expect(inputs(UpdateCommand)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: 'RATE#START#203.0.113.7', sk: 'RATE' },
          UpdateExpression: 'SET rl0 = :now, rl1 = if_not_exists(rl0, :zero), expires_at = :expires',
          ExpressionAttributeValues: {
            ':now': NOW_MS,
            ':windowStart': NOW_MS - 60_000,
            ':zero': 0,
            ':expires': NOW_MS / 1000 + 120,
          },
          ConditionExpression: '(attribute_not_exists(rl1) OR rl1 <= :windowStart)',
        },
      ]);
    });

    it('refuses the start when the condition fails', async () => {
      ddb.on(UpdateCommand).rejects(conditionFailed());

      await expect(makeStore().admitRoomStart('203.0.113.7', NOW_MS)).resolves.toBe(false);
    });

    it('rethrows any other failure', async () => {
      ddb.on(UpdateCommand).rejects(new Error('throttled'));

      await expect(makeStore().admitRoomStart('203.0.113.7', NOW_MS)).rejects.toThrow('throttled');
    });

    it("keeps the expressions within DynamoDB's 4 KB at the highest limits the settings allow", async () => {
      ddb
        .on(UpdateCommand)
        .resolves({ Attributes: { kind: 'room', room_id: ROOM_ID, owner_id: OWNER_A, role: 'visitor' } });
      const store = makeStore({ limits: { messagesPerSecond: 50, startsPerMinute: 100, startsPerHourPerOwner: 30 } });

      await store.admitRoomStart('203.0.113.7', NOW_MS);
      await store.admitFrame('c-1', NOW_MS);

      for (const input of inputs(UpdateCommand)) {
        expect(String(input.UpdateExpression).length).toBeLessThanOrEqual(4096);
        expect(String(input.ConditionExpression).length).toBeLessThanOrEqual(4096);
      }
    });

    it("admits an owner's start with one conditional UpdateItem on the owner's row, over a sliding hour", async () => {
      ddb.on(UpdateCommand).resolves({});

      await expect(makeStore().admitOwnerRoomStart(OWNER_A, NOW_MS)).resolves.toBe(true);

      const [update] = inputs(UpdateCommand);
      expect(update).toMatchObject({
        TableName: TABLE,
        Key: { pk: `RATE#OWNER#${OWNER_A}`, sk: 'RATE' },
        ExpressionAttributeValues: expect.objectContaining({ ':now': NOW_MS, ':windowStart': NOW_MS - 3_600_000 }),
      });
      expect(update?.ConditionExpression).toEqual(expect.stringContaining(':windowStart'));
    });

    it("refuses the owner's start when the condition fails", async () => {
      ddb.on(UpdateCommand).rejects(conditionFailed());

      await expect(makeStore().admitOwnerRoomStart(OWNER_A, NOW_MS)).resolves.toBe(false);
    });

    it("admits every owner's start without a database call when the owner limit is disabled", async () => {
      await expect(
        makeStore({
          limits: { messagesPerSecond: 5, startsPerMinute: 10, startsPerHourPerOwner: 0 },
        }).admitOwnerRoomStart(OWNER_A, NOW_MS),
      ).resolves.toBe(true);
      expect(ddb.calls()).toHaveLength(0);
    });

    it('admits every start without a database call when the limit is disabled', async () => {
      await expect(
        makeStore({ limits: { messagesPerSecond: 5, startsPerMinute: 0, startsPerHourPerOwner: 30 } }).admitRoomStart(
          '203.0.113.7',
          NOW_MS,
        ),
      ).resolves.toBe(true);
      expect(ddb.calls()).toHaveLength(0);
    });
  });
});
