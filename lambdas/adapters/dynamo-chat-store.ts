import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { systemClock } from '../domain/deps.js';
import {
  otherSide,
  type ChatMessage,
  type Connection,
  type ConnectionIdentity,
  type Room,
  type RoomConnection,
  type SenderType,
} from '../domain/model.js';
import {
  REPEATED_REFUSALS,
  type Admission,
  type ChatStore,
  type Clock,
  type MessagePage,
  type MessageSlice,
  type PutMessageResult,
  type ReadOutcome,
  type RoomCount,
} from '../domain/ports.js';
import { START_LIMIT_WINDOWS } from '../domain/start-limit.js';
import {
  isExpired,
  ItemCodec,
  keys,
  lastMessageItem,
  membershipKey,
  readAttributes,
  sentAttribute,
  sortKeyPrefixes,
  timeIndexKey,
  toIdentity,
  toMessage,
  toRoom,
  toRoomConnection,
  type Item,
  type Retention,
} from './item-codec.js';
import { countAll, queryAll, readBudgeted } from './paging.js';
import { SlidingWindowLimiter } from './sliding-window-limiter.js';
import { defaultDocumentClient, isConditionFailure, type TableClient } from './table-client.js';
import { TableLayout } from './table-layout.js';

export { defaultDocumentClient } from './table-client.js';

export interface DynamoChatStoreOptions {
  tableName: string;
  /** Must marshall with `removeUndefinedValues` (as defaultDocumentClient does): optional fields are written as undefined. */
  client?: DynamoDBDocumentClient;
  retention: Retention;
  /** 0 disables a limit. */
  limits: { messagesPerSecond: number; startsPerMinute: number; startsPerHourPerOwner: number };
  /** What "now" is when reads leave out expired items; the system clock unless a test sets one. */
  clock?: Clock;
}

/** The window of the per-connection frame limit. */
const FRAME_WINDOW_MS = 1000;

/** The connection row's throttle of relayed typing frames (its last relay in `typing_at`). */
const TYPING_RELAY = 'typing';

/**
 * ChatStore over one DynamoDB table: the repository. Items are built and read by item-codec.ts,
 * rate limits kept by sliding-window-limiter.ts, queries read across pages by paging.ts.
 * Every read is a GetItem or a Query on one partition. No TransactWriteItems and no reliance on
 * TTL for correctness: expired items are filtered on read, so the store behaves the same on
 * dynalite.
 */
export class DynamoChatStore implements ChatStore {
  private readonly table: TableClient;
  private readonly items: ItemCodec;
  private readonly limiter: SlidingWindowLimiter;
  private readonly clock: Clock;

  constructor(private readonly options: DynamoChatStoreOptions) {
    this.table = { client: options.client ?? defaultDocumentClient(), tableName: options.tableName };
    this.items = new ItemCodec(options.retention);
    this.limiter = new SlidingWindowLimiter(this.table);
    this.clock = options.clock ?? systemClock;
  }

  // ---- rooms -------------------------------------------------------------------------

  async createRoom(room: Room): Promise<void> {
    await this.table.client.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: this.items.room(room),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getRoom(roomId: string): Promise<Room | undefined> {
    const item = await this.getItem(keys.room(roomId));
    return item && toRoom(item);
  }

  async listRoomsByOwner(ownerId: string): Promise<Room[]> {
    const items = await queryAll(this.table, {
      IndexName: TableLayout.ownerIndex.name,
      KeyConditionExpression: `${TableLayout.ownerIndex.partitionKey} = :owner`,
      ExpressionAttributeValues: { ':owner': keys.ownerPartition(ownerId) },
      ScanIndexForward: false,
    });
    // The index is keyed by creation (see ownerIndexKey); the list is wanted by latest
    // activity, and an owner's rooms are read whole anyway.
    return items
      .filter((item) => !this.expired(item))
      .map(toRoom)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.id.localeCompare(a.id));
  }

  async closeRoom(roomId: string, at: string): Promise<Room | undefined> {
    const expiry = this.items.roomExpiry(at);
    try {
      const { Attributes } = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.room(roomId),
          UpdateExpression: `SET is_active = :false, updated_at = :at${expiry.set}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':false': false, ':at': at, ...expiry.values },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toRoom(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async touchRoom(message: ChatMessage, maxMessages: number): Promise<RoomCount> {
    const at = message.createdAt;
    const counting = {
      Key: keys.room(message.roomId),
      // Rooms written before the count existed start counting from zero.
      ConditionExpression: 'is_active = :true AND (attribute_not_exists(message_count) OR message_count < :max)',
      names: { '#sent': sentAttribute(message.senderType) },
      values: { ':true': true, ':max': maxMessages, ':zero': 0, ':one': 1 },
      // The side's count rides on the same write, so unread counts stay exact under concurrency.
      set: 'message_count = if_not_exists(message_count, :zero) + :one, #sent = if_not_exists(#sent, :zero) + :one',
    };
    const expiry = this.items.roomExpiry(at);
    try {
      const { Attributes } = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: counting.Key,
          // The preview moves with updated_at: both only ever move forward, to the newest message.
          UpdateExpression: `SET ${counting.set}, updated_at = :at, last_message = :last, last_key = :key${expiry.set}`,
          // Concurrent messages may finish out of order; updated_at only ever moves forward.
          ConditionExpression: `${counting.ConditionExpression} AND updated_at < :at`,
          ExpressionAttributeNames: counting.names,
          ExpressionAttributeValues: {
            ...counting.values,
            ':at': at,
            ':last': lastMessageItem(message),
            ':key': timeIndexKey(message),
            ...expiry.values,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { outcome: 'counted', room: toRoom(Attributes as Item) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    // Refused: the room is closed or full, or only a later message moved updated_at first.
    // Only this path reads (dynalite has no ReturnValuesOnConditionCheckFailure).
    const refusal = await this.roomRefusal(message.roomId, maxMessages);
    if (refusal) return { outcome: refusal };
    try {
      const { Attributes } = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: counting.Key,
          UpdateExpression: `SET ${counting.set}`,
          ConditionExpression: counting.ConditionExpression,
          ExpressionAttributeNames: counting.names,
          ExpressionAttributeValues: counting.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { outcome: 'counted', room: toRoom(Attributes as Item) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Closed or filled in between.
      return { outcome: (await this.roomRefusal(message.roomId, maxMessages)) ?? 'closed' };
    }
  }

  async uncountMessage(roomId: string, senderType: SenderType): Promise<void> {
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.room(roomId),
          UpdateExpression: 'SET message_count = message_count - :one, #sent = if_not_exists(#sent, :one) - :one',
          ConditionExpression: 'message_count > :zero',
          ExpressionAttributeNames: { '#sent': sentAttribute(senderType) },
          ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async markRead(message: ChatMessage, reader: SenderType, readAt: string): Promise<ReadOutcome> {
    const key = timeIndexKey(message);
    const read = readAttributes(reader);
    const names = {
      '#id': read.id,
      '#key': read.key,
      '#at': read.at,
      '#count': read.count,
      '#otherSent': sentAttribute(otherSide(reader)),
    };
    const forward = 'attribute_exists(pk) AND (attribute_not_exists(#key) OR #key < :key)';
    const values = { ':id': message.id, ':key': key, ':readAt': readAt };
    const set = 'SET #id = :id, #key = :key, #at = :readAt, #count = ';
    // The usual read is of the room's newest message: every message of the other side counted
    // so far is then read, and the count is copied from the item within the same write.
    try {
      const { Attributes } = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.room(message.roomId),
          UpdateExpression: `${set}if_not_exists(#otherSent, :zero)`,
          ConditionExpression: `${forward} AND (attribute_not_exists(last_key) OR last_key <= :key)`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':zero': 0 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { moved: true, room: toRoom(Attributes as Item) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    // Refused: the position is already there or further, or newer messages followed this one.
    // Then the other side's messages after it are counted (usually few) and taken from its
    // count, on the condition that the count did not move meanwhile.
    for (let attempt = 0; ; attempt += 1) {
      const room = await this.getRoom(message.roomId);
      if (!room) return undefined;
      const current = room.lastRead?.[reader];
      if (current && current.timeKey >= key) return { moved: false, room };
      const seen = room.sentBy?.[otherSide(reader)] ?? 0;
      const newer = await this.countMessagesAfter(message.roomId, key, otherSide(reader));
      try {
        const { Attributes } = await this.table.client.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: keys.room(message.roomId),
            UpdateExpression: `${set}:count`,
            ConditionExpression: `${forward} AND ${seen === 0 ? '(attribute_not_exists(#otherSent) OR #otherSent = :seen)' : '#otherSent = :seen'}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ...values, ':count': Math.max(0, seen - newer), ':seen': seen },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { moved: true, room: toRoom(Attributes as Item) };
      } catch (error) {
        if (!isConditionFailure(error) || attempt >= 4) throw error;
      }
    }
  }

  /** How many messages of `side` lie after `afterKey` in the room (read on the time index, consistently). */
  private countMessagesAfter(roomId: string, afterKey: string, side: SenderType): Promise<number> {
    return countAll(this.table, {
      IndexName: TableLayout.timeIndex.name,
      KeyConditionExpression: `pk = :room AND ${TableLayout.timeIndex.sortKey} > :after`,
      FilterExpression: 'sender_type = :side',
      ExpressionAttributeValues: { ':room': keys.roomPartition(roomId), ':after': afterKey, ':side': side },
      ConsistentRead: true,
    });
  }

  /** Why a room refuses one more message, read consistently; undefined when it would not. */
  private async roomRefusal(roomId: string, maxMessages: number): Promise<'closed' | 'full' | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({
        TableName: this.table.tableName,
        Key: keys.room(roomId),
        ConsistentRead: true,
        ProjectionExpression: 'is_active, message_count',
      }),
    );
    if (Item?.is_active !== true) return 'closed';
    if (typeof Item.message_count === 'number' && Item.message_count >= maxMessages) return 'full';
    return undefined;
  }

  // ---- messages ----------------------------------------------------------------------

  async putMessage(message: ChatMessage): Promise<PutMessageResult> {
    try {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: this.items.message(message),
          // The message id is derived from the client's idempotency key when it sent one,
          // so this condition is what makes a retried send store nothing new.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { stored: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const original = await this.getMessage(message.roomId, message.id);
      if (!original) throw error;
      return { stored: false, original };
    }
  }

  async deleteMessage(roomId: string, messageId: string): Promise<void> {
    await this.table.client.send(
      new DeleteCommand({ TableName: this.table.tableName, Key: keys.message(roomId, messageId) }),
    );
  }

  async getMessage(roomId: string, messageId: string): Promise<ChatMessage | undefined> {
    const item = await this.getItem(keys.message(roomId, messageId));
    return item && toMessage(item);
  }

  async listMessages(roomId: string, page: MessagePage): Promise<MessageSlice> {
    const timeKey = TableLayout.timeIndex.sortKey;
    const conditions = ['pk = :room'];
    const values: Item = { ':room': keys.roomPartition(roomId) };
    const lower = page.after ? timeIndexKey(page.after) : undefined;
    const upper = page.before ? timeIndexKey(page.before) : undefined;
    // Nothing lies strictly between them, and DynamoDB rejects a BETWEEN whose bounds are
    // reversed (ValidationException), which would surface as a 500.
    if (lower && upper && lower >= upper) return { messages: [], more: false };
    if (lower && upper) {
      conditions.push(`${timeKey} BETWEEN :lower AND :upper`);
      Object.assign(values, { ':lower': lower, ':upper': upper });
    } else if (lower) {
      conditions.push(`${timeKey} > :lower`);
      values[':lower'] = lower;
    } else if (upper) {
      conditions.push(`${timeKey} < :upper`);
      values[':upper'] = upper;
    }
    // Without a lower bound the most recent messages are wanted (all of them when they fit):
    // read newest first and stop at the limit or the size bound; after a lower bound (a client
    // catching up) read forward from it.
    const newestFirst = lower === undefined;
    const { values: messages, more } = await readBudgeted(
      this.table,
      {
        IndexName: TableLayout.timeIndex.name,
        KeyConditionExpression: conditions.join(' AND '),
        ExpressionAttributeValues: values,
        ScanIndexForward: !newestFirst,
        ConsistentRead: true,
      },
      {
        limit: page.limit,
        // BETWEEN includes its bounds: they are read and left out.
        decode: (item) =>
          this.expired(item) || item[timeKey] === lower || item[timeKey] === upper ? undefined : toMessage(item),
        fits: page.fits,
      },
    );
    return { messages: newestFirst ? messages.reverse() : messages, more };
  }

  // ---- connections -------------------------------------------------------------------

  async saveConnection(connection: Connection, connectedAt: number): Promise<void> {
    const rows = this.items.connection(connection, connectedAt);
    await Promise.all([
      this.table.client.send(new PutCommand({ TableName: this.table.tableName, Item: rows.connection })),
      this.table.client.send(new PutCommand({ TableName: this.table.tableName, Item: rows.membership })),
    ]);
  }

  async admitFrame(connectionId: string, arrivedAtMs: number, typing?: { everyMs: number }): Promise<Admission> {
    const key = keys.connection(connectionId);
    const frames = { limit: this.options.limits.messagesPerSecond, windowMs: FRAME_WINDOW_MS };
    if (typing) {
      // The typing relay's time rides on the admission: a frame is relayed when the last relay
      // is older than the interval. Refused, the frame is admitted (or refused) as any other.
      const row = await this.limiter.admitOnRow(key, frames, arrivedAtMs, {
        name: TYPING_RELAY,
        everyMs: typing.everyMs,
      });
      if (row) return { admitted: true, identity: toIdentity(row), relayTyping: true };
    }
    const row =
      frames.limit === 0
        ? (
            await this.table.client.send(
              new GetCommand({ TableName: this.table.tableName, Key: key, ConsistentRead: true }),
            )
          ).Item
        : await this.limiter.admitOnRow(key, frames, arrivedAtMs);
    if (row) return { admitted: true, identity: toIdentity(row), ...(typing ? { relayTyping: false } : {}) };
    if (frames.limit === 0) return { admitted: false, reason: 'unknown-connection' };
    // Refused, or no such connection: logging the refusal tells which.
    const refusal = await this.limiter.logRefusal(key, REPEATED_REFUSALS, arrivedAtMs);
    return refusal
      ? { admitted: false, reason: 'rate-limited', repeated: refusal.repeated }
      : { admitted: false, reason: 'unknown-connection' };
  }

  async removeConnectionById(connectionId: string): Promise<ConnectionIdentity | undefined> {
    const { Attributes } = await this.table.client.send(
      new DeleteCommand({
        TableName: this.table.tableName,
        Key: keys.connection(connectionId),
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (!Attributes) return undefined;
    const identity = toIdentity(Attributes);
    await this.table.client.send(
      new DeleteCommand({ TableName: this.table.tableName, Key: membershipKey({ connectionId, identity }) }),
    );
    return identity;
  }

  async removeKnownConnection(connection: Connection): Promise<void> {
    await Promise.all([
      this.table.client.send(
        new DeleteCommand({ TableName: this.table.tableName, Key: keys.connection(connection.connectionId) }),
      ),
      this.table.client.send(new DeleteCommand({ TableName: this.table.tableName, Key: membershipKey(connection) })),
    ]);
  }

  async listRoomConnections(roomId: string): Promise<RoomConnection[]> {
    const items = await queryAll(this.table, {
      KeyConditionExpression: 'pk = :room AND begins_with(sk, :conn)',
      ExpressionAttributeValues: { ':room': keys.roomPartition(roomId), ':conn': sortKeyPrefixes.roomConnection },
      ProjectionExpression: 'connection_id, #role, connected_at',
      ExpressionAttributeNames: { '#role': 'role' },
      ConsistentRead: true,
    });
    return items.map(toRoomConnection);
  }

  async listInboxConnections(ownerId: string): Promise<string[]> {
    const items = await queryAll(this.table, {
      KeyConditionExpression: 'pk = :owner AND begins_with(sk, :inbox)',
      ExpressionAttributeValues: { ':owner': keys.ownerPartition(ownerId), ':inbox': sortKeyPrefixes.inboxConnection },
      ProjectionExpression: 'connection_id',
      ConsistentRead: true,
    });
    return items.map((item) => String(item.connection_id));
  }

  // ---- abuse limits ------------------------------------------------------------------

  async admitRoomStart(sourceKey: string, nowMs: number): Promise<boolean> {
    const window = { limit: this.options.limits.startsPerMinute, windowMs: START_LIMIT_WINDOWS.perAddressMs };
    return this.limiter.admit(keys.startRate(sourceKey), window, nowMs);
  }

  async admitOwnerRoomStart(ownerId: string, nowMs: number): Promise<boolean> {
    const window = { limit: this.options.limits.startsPerHourPerOwner, windowMs: START_LIMIT_WINDOWS.perOwnerMs };
    return this.limiter.admit(keys.ownerStartRate(ownerId), window, nowMs);
  }

  // ---- helpers -----------------------------------------------------------------------

  /** A consistent GetItem; undefined when the item is missing or expired. */
  private async getItem(key: Item): Promise<Item | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: key, ConsistentRead: true }),
    );
    return Item && !this.expired(Item) ? Item : undefined;
  }

  private expired(item: Item): boolean {
    return isExpired(item, this.clock.now().getTime());
  }
}
