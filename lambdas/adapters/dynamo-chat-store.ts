import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock } from '../domain/deps.js';
import type { ChatMessage, Connection, ConnectionIdentity, Room, RoomConnection } from '../domain/model.js';
import {
  REPEATED_REFUSALS,
  type Admission,
  type ChatStore,
  type Clock,
  type MessagePage,
  type MessageSlice,
  type PutMessageResult,
  type RoomCount,
} from '../domain/ports.js';
import { START_LIMIT_WINDOWS } from '../domain/start-limit.js';
import {
  isExpired,
  ItemCodec,
  keys,
  membershipKey,
  sortKeyPrefixes,
  timeIndexKey,
  toIdentity,
  toMessage,
  toRoom,
  toRoomConnection,
  type Item,
  type Retention,
} from './item-codec.js';
import { queryAll, readBudgeted } from './paging.js';
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

  async touchRoom(roomId: string, at: string, maxMessages: number): Promise<RoomCount> {
    const counting = {
      Key: keys.room(roomId),
      // Rooms written before the count existed start counting from zero.
      ConditionExpression: 'is_active = :true AND (attribute_not_exists(message_count) OR message_count < :max)',
      values: { ':true': true, ':max': maxMessages, ':zero': 0, ':one': 1 },
      set: 'message_count = if_not_exists(message_count, :zero) + :one',
    };
    const expiry = this.items.roomExpiry(at);
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: counting.Key,
          UpdateExpression: `SET ${counting.set}, updated_at = :at${expiry.set}`,
          // Concurrent messages may finish out of order; updated_at only ever moves forward.
          ConditionExpression: `${counting.ConditionExpression} AND updated_at < :at`,
          ExpressionAttributeValues: { ...counting.values, ':at': at, ...expiry.values },
        }),
      );
      return 'counted';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    // Refused: the room is closed or full, or only a later message moved updated_at first.
    // Only this path reads (dynalite has no ReturnValuesOnConditionCheckFailure).
    const refusal = await this.roomRefusal(roomId, maxMessages);
    if (refusal) return refusal;
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: counting.Key,
          UpdateExpression: `SET ${counting.set}`,
          ConditionExpression: counting.ConditionExpression,
          ExpressionAttributeValues: counting.values,
        }),
      );
      return 'counted';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Closed or filled in between.
      return (await this.roomRefusal(roomId, maxMessages)) ?? 'closed';
    }
  }

  async uncountMessage(roomId: string): Promise<void> {
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.room(roomId),
          UpdateExpression: 'SET message_count = message_count - :one',
          ConditionExpression: 'message_count > :zero',
          ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Why a room refuses one more message, read consistently; undefined when it would not. */
  private async roomRefusal(roomId: string, maxMessages: number): Promise<Exclude<RoomCount, 'counted'> | undefined> {
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
    await this.table.client.send(new DeleteCommand({ TableName: this.table.tableName, Key: keys.message(roomId, messageId) }));
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

  async admitFrame(connectionId: string, arrivedAtMs: number): Promise<Admission> {
    const key = keys.connection(connectionId);
    const limit = this.options.limits.messagesPerSecond;
    if (limit === 0) {
      const { Item } = await this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: key, ConsistentRead: true }));
      return Item ? { admitted: true, identity: toIdentity(Item) } : { admitted: false, reason: 'unknown-connection' };
    }
    const row = await this.limiter.admitOnRow(key, { limit, windowMs: FRAME_WINDOW_MS }, arrivedAtMs);
    if (row) return { admitted: true, identity: toIdentity(row) };
    // Refused, or no such connection: logging the refusal tells which.
    const refusal = await this.limiter.logRefusal(key, REPEATED_REFUSALS, arrivedAtMs);
    return refusal
      ? { admitted: false, reason: 'rate-limited', repeated: refusal.repeated }
      : { admitted: false, reason: 'unknown-connection' };
  }

  async removeConnectionById(connectionId: string): Promise<ConnectionIdentity | undefined> {
    const { Attributes } = await this.table.client.send(
      new DeleteCommand({ TableName: this.table.tableName, Key: keys.connection(connectionId), ReturnValues: 'ALL_OLD' }),
    );
    if (!Attributes) return undefined;
    const identity = toIdentity(Attributes);
    await this.table.client.send(new DeleteCommand({ TableName: this.table.tableName, Key: membershipKey({ connectionId, identity }) }));
    return identity;
  }

  async removeKnownConnection(connection: Connection): Promise<void> {
    await Promise.all([
      this.table.client.send(new DeleteCommand({ TableName: this.table.tableName, Key: keys.connection(connection.connectionId) })),
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
    const { Item } = await this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: key, ConsistentRead: true }));
    return Item && !this.expired(Item) ? Item : undefined;
  }

  private expired(item: Item): boolean {
    return isExpired(item, this.clock.now().getTime());
  }
}
