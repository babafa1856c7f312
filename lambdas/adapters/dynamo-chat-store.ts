import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  messageTimeKey as timeKey,
  otherSide,
  type ChatMessage,
  type Connection,
  type ConnectionIdentity,
  type ReadPosition,
  type Room,
  type RoomConnection,
  type SenderType,
} from '../domain/model.js';
import {
  REPEATED_REFUSALS,
  type Admission,
  type ChatStore,
  type MessagePage,
  type MessageSlice,
  type PutMessageResult,
  type ReadOutcome,
  type RoomCount,
} from '../domain/ports.js';
import { START_LIMIT_WINDOWS } from '../domain/start-limit.js';
import { keys, TableLayout } from './table-layout.js';

export interface DynamoChatStoreOptions {
  tableName: string;
  /** Must marshall with `removeUndefinedValues` (as defaultDocumentClient does): optional fields are written as undefined. */
  client?: DynamoDBDocumentClient;
  /** Seconds after which items expire (DynamoDB TTL); undefined keeps them forever. */
  retention: { roomSeconds?: number; messageSeconds?: number; connectionSeconds: number };
  /** 0 disables a limit. */
  limits: { messagesPerSecond: number; startsPerMinute: number; startsPerHourPerOwner: number };
}

type Item = Record<string, unknown>;

/** The DynamoDB document client, created once per module and shared by every store. */
export const defaultDocumentClient = (): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });

const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

const epochSeconds = (ms: number) => Math.floor(ms / 1000);

/**
 * ChatStore over one DynamoDB table (layout in table-layout.ts). Every read is a GetItem or
 * a Query on one partition. No TransactWriteItems and no reliance on TTL for correctness:
 * expired items are filtered on read, so the store behaves the same on dynalite.
 */
export class DynamoChatStore implements ChatStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(private readonly options: DynamoChatStoreOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.table = options.tableName;
  }

  // ---- rooms -------------------------------------------------------------------------

  async createRoom(room: Room): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: this.roomItem(room),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getRoom(roomId: string): Promise<Room | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.table, Key: keys.room(roomId), ConsistentRead: true }),
    );
    return Item && !this.expired(Item) ? toRoom(Item) : undefined;
  }

  async listRoomsByOwner(ownerId: string): Promise<Room[]> {
    const items = await this.queryAll({
      TableName: this.table,
      IndexName: TableLayout.ownerIndex.name,
      KeyConditionExpression: 'gsi1pk = :owner',
      ExpressionAttributeValues: { ':owner': keys.ownerPartition(ownerId) },
      ScanIndexForward: false,
    });
    // The index is keyed by creation (a key that never changes, so a message's touch
    // rewrites the index entry in place instead of deleting and re-adding it); the list is
    // wanted by latest activity, and an owner's rooms are read whole anyway.
    return items
      .filter((item) => !this.expired(item))
      .map(toRoom)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.id.localeCompare(a.id));
  }

  async closeRoom(roomId: string, at: string): Promise<Room | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.room(roomId),
          UpdateExpression: `SET is_active = :false, updated_at = :at${this.roomExpirySet()}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: {
            ':false': false,
            ':at': at,
            ...this.roomExpiryValue(at),
          },
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
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: counting.Key,
          // The preview moves with updated_at: both only ever move forward, to the newest message.
          UpdateExpression: `SET ${counting.set}, updated_at = :at, last_message = :last, last_key = :key${this.roomExpirySet()}`,
          // Concurrent messages may finish out of order; updated_at only ever moves forward.
          ConditionExpression: `${counting.ConditionExpression} AND updated_at < :at`,
          ExpressionAttributeNames: counting.names,
          ExpressionAttributeValues: {
            ...counting.values,
            ':at': at,
            ':last': lastMessageItem(message),
            ':key': timeKey(message),
            ...this.roomExpiryValue(at),
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
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
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
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
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
    const key = timeKey(message);
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
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
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
        const { Attributes } = await this.client.send(
          new UpdateCommand({
            TableName: this.table,
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
  private async countMessagesAfter(roomId: string, afterKey: string, side: SenderType): Promise<number> {
    let count = 0;
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: TableLayout.timeIndex.name,
          KeyConditionExpression: 'pk = :room AND lsi1sk > :after',
          FilterExpression: 'sender_type = :side',
          ExpressionAttributeValues: { ':room': keys.roomPartition(roomId), ':after': afterKey, ':side': side },
          Select: 'COUNT',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  /** Why a room refuses one more message, read consistently; undefined when it would not. */
  private async roomRefusal(roomId: string, maxMessages: number): Promise<'closed' | 'full' | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.table,
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
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: this.messageItem(message),
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
    await this.client.send(new DeleteCommand({ TableName: this.table, Key: keys.message(roomId, messageId) }));
  }

  async getMessage(roomId: string, messageId: string): Promise<ChatMessage | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.table, Key: keys.message(roomId, messageId), ConsistentRead: true }),
    );
    return Item && !this.expired(Item) ? toMessage(Item) : undefined;
  }

  async listMessages(roomId: string, page: MessagePage): Promise<MessageSlice> {
    const conditions = ['pk = :room'];
    const values: Item = { ':room': keys.roomPartition(roomId) };
    const lower = page.after ? timeKey(page.after) : undefined;
    const upper = page.before ? timeKey(page.before) : undefined;
    // Nothing lies strictly between them, and DynamoDB rejects a BETWEEN whose bounds are
    // reversed (ValidationException), which would surface as a 500.
    if (lower && upper && lower >= upper) return { messages: [], more: false };
    if (lower && upper) {
      conditions.push('lsi1sk BETWEEN :lower AND :upper');
      Object.assign(values, { ':lower': lower, ':upper': upper });
    } else if (lower) {
      conditions.push('lsi1sk > :lower');
      values[':lower'] = lower;
    } else if (upper) {
      conditions.push('lsi1sk < :upper');
      values[':upper'] = upper;
    }
    // Without a lower bound the most recent messages are wanted (all of them when they fit):
    // read newest first and stop at the limit or the size bound; after a lower bound (a client
    // catching up) read forward from it.
    const newestFirst = lower === undefined;
    const taken: ChatMessage[] = [];
    let more = false;
    let startKey: Item | undefined;
    reading: do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: TableLayout.timeIndex.name,
          KeyConditionExpression: conditions.join(' AND '),
          ExpressionAttributeValues: values,
          ScanIndexForward: !newestFirst,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
          // One more than wanted tells whether more remain; filtered items (expired, the
          // inclusive BETWEEN bounds) do not count.
          Limit: page.limit === undefined ? undefined : page.limit - taken.length + 2,
        }),
      );
      for (const item of result.Items ?? []) {
        if (this.expired(item) || item.lsi1sk === lower || item.lsi1sk === upper) continue;
        const message = toMessage(item);
        if ((page.limit !== undefined && taken.length >= page.limit) || (page.fits && !page.fits(message))) {
          more = true;
          break reading;
        }
        taken.push(message);
      }
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return { messages: newestFirst ? taken.reverse() : taken, more };
  }

  // ---- connections -------------------------------------------------------------------

  async saveConnection(connection: Connection, connectedAt: number): Promise<void> {
    const expiresAt = epochSeconds(connectedAt) + this.options.retention.connectionSeconds;
    const { identity, connectionId } = connection;
    const meta = {
      ...keys.connection(connectionId),
      connection_id: connectionId,
      kind: identity.kind,
      role: identity.role,
      owner_id: identity.ownerId,
      room_id: identity.kind === 'room' ? identity.roomId : undefined,
      connected_at: connectedAt,
      expires_at: expiresAt,
    };
    const membership =
      identity.kind === 'room'
        ? { ...keys.roomConnection(identity.roomId, connectionId), role: identity.role, connected_at: connectedAt }
        : keys.inboxConnection(identity.ownerId, connectionId);
    await Promise.all([
      this.client.send(new PutCommand({ TableName: this.table, Item: meta })),
      this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...membership, connection_id: connectionId, expires_at: expiresAt },
        }),
      ),
    ]);
  }

  async admitFrame(connectionId: string, arrivedAtMs: number, typing?: { everyMs: number }): Promise<Admission> {
    if (typing) {
      // The typing relay's time rides on the admission: a frame is relayed when the last relay
      // is older than the interval. Refused, the frame is admitted (or refused) as any other.
      const admitted = await this.tryAdmitFrame(connectionId, arrivedAtMs, typing.everyMs);
      if (admitted) return { admitted: true, identity: toIdentity(admitted), relayTyping: true };
    }
    const admitted = await this.tryAdmitFrame(connectionId, arrivedAtMs);
    if (admitted) return { admitted: true, identity: toIdentity(admitted), ...(typing ? { relayTyping: false } : {}) };
    if (this.options.limits.messagesPerSecond === 0) return { admitted: false, reason: 'unknown-connection' };
    // Only the refused path pays for this write: it logs the refusal (rf0..rfN, newest first)
    // and tells whether the connection still exists.
    const { count, withinMs } = REPEATED_REFUSALS;
    const refusals = slidingWindowUpdate(count, arrivedAtMs, withinMs, 'rf');
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.connection(connectionId),
          UpdateExpression: refusals.UpdateExpression,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': arrivedAtMs, ...(count > 1 ? { ':zero': 0 } : {}) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const oldest = (Attributes as Item | undefined)?.[`rf${count - 1}`];
      return {
        admitted: false,
        reason: 'rate-limited',
        repeated: typeof oldest === 'number' && oldest > arrivedAtMs - withinMs,
      };
    } catch (error) {
      if (isConditionFailure(error)) return { admitted: false, reason: 'unknown-connection' };
      throw error;
    }
  }

  /**
   * One frame counted against the limit (and, with `typingEveryMs`, the typing relay time moved
   * to it), in one conditional write; the connection row, or undefined when refused or unknown.
   */
  private async tryAdmitFrame(
    connectionId: string,
    arrivedAtMs: number,
    typingEveryMs?: number,
  ): Promise<Item | undefined> {
    const limit = this.options.limits.messagesPerSecond;
    if (limit === 0 && typingEveryMs === undefined) {
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.table, Key: keys.connection(connectionId), ConsistentRead: true }),
      );
      return Item;
    }
    const window = limit === 0 ? undefined : slidingWindowUpdate(limit, arrivedAtMs, 1000);
    const sets = window ? [window.UpdateExpression.replace(/^SET /, '')] : [];
    const conditions = ['attribute_exists(pk)'];
    const values: Item = { ...window?.ExpressionAttributeValues };
    if (window) conditions.push(slidingWindowCondition(limit));
    if (typingEveryMs !== undefined) {
      sets.push('typing_at = :now');
      conditions.push('(attribute_not_exists(typing_at) OR typing_at <= :typingStart)');
      Object.assign(values, { ':now': arrivedAtMs, ':typingStart': arrivedAtMs - typingEveryMs });
    }
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.connection(connectionId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as Item;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return undefined;
    }
  }

  async removeConnection(connectionId: string): Promise<ConnectionIdentity | undefined> {
    const { Attributes } = await this.client.send(
      new DeleteCommand({ TableName: this.table, Key: keys.connection(connectionId), ReturnValues: 'ALL_OLD' }),
    );
    if (!Attributes) return undefined;
    const identity = toIdentity(Attributes);
    await this.client.send(
      new DeleteCommand({ TableName: this.table, Key: membershipKey({ connectionId, identity }) }),
    );
    return identity;
  }

  async forgetConnection(connection: Connection): Promise<void> {
    await Promise.all([
      this.client.send(new DeleteCommand({ TableName: this.table, Key: keys.connection(connection.connectionId) })),
      this.client.send(new DeleteCommand({ TableName: this.table, Key: membershipKey(connection) })),
    ]);
  }

  async listRoomConnections(roomId: string): Promise<RoomConnection[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :room AND begins_with(sk, :conn)',
      ExpressionAttributeValues: { ':room': keys.roomPartition(roomId), ':conn': 'CONN#' },
      ProjectionExpression: 'connection_id, #role, connected_at',
      ExpressionAttributeNames: { '#role': 'role' },
      ConsistentRead: true,
    });
    return items.map((item) => ({
      connectionId: String(item.connection_id),
      role: item.role as SenderType,
      ...(typeof item.connected_at === 'number' ? { connectedAt: item.connected_at } : {}),
    }));
  }

  async listInboxConnections(ownerId: string): Promise<string[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :owner AND begins_with(sk, :inbox)',
      ExpressionAttributeValues: { ':owner': keys.ownerPartition(ownerId), ':inbox': 'INBOX#' },
      ProjectionExpression: 'connection_id',
      ConsistentRead: true,
    });
    return items.map((item) => String(item.connection_id));
  }

  // ---- abuse limits ------------------------------------------------------------------

  async admitRoomStart(sourceKey: string, nowMs: number): Promise<boolean> {
    return this.admitToWindow(
      keys.startRate(sourceKey),
      this.options.limits.startsPerMinute,
      nowMs,
      START_LIMIT_WINDOWS.perAddressMs,
    );
  }

  async admitOwnerRoomStart(ownerId: string, nowMs: number): Promise<boolean> {
    return this.admitToWindow(
      keys.ownerStartRate(ownerId),
      this.options.limits.startsPerHourPerOwner,
      nowMs,
      START_LIMIT_WINDOWS.perOwnerMs,
    );
  }

  /** One event against a sliding-window item of its own; the item expires a window after its last use. */
  private async admitToWindow(key: Item, limit: number, nowMs: number, windowMs: number): Promise<boolean> {
    if (limit === 0) return true;
    const update = slidingWindowUpdate(limit, nowMs, windowMs);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: `${update.UpdateExpression}, expires_at = :expires`,
          ExpressionAttributeValues: {
            ...update.ExpressionAttributeValues,
            ':expires': epochSeconds(nowMs + 2 * windowMs),
          },
          ConditionExpression: slidingWindowCondition(limit),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  // ---- helpers -----------------------------------------------------------------------

  private async queryAll(
    input: QueryCommandInput,
    max?: number,
    keep: (item: Item) => boolean = () => true,
  ): Promise<Item[]> {
    const kept: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          ...input,
          ExclusiveStartKey: startKey,
          // Read a little more than needed: filtered items (expired, bounds) do not count.
          Limit: max === undefined ? undefined : max - kept.length + 2,
        }),
      );
      for (const item of page.Items ?? []) {
        if (keep(item)) kept.push(item);
        if (max !== undefined && kept.length >= max) return kept;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return kept;
  }

  private expired(item: Item): boolean {
    const expiresAt = item[TableLayout.ttlAttribute];
    return typeof expiresAt === 'number' && expiresAt * 1000 <= Date.now();
  }

  private roomItem(room: Room): Item {
    return {
      ...keys.room(room.id),
      id: room.id,
      owner_id: room.ownerId,
      visitor_name: room.visitorName,
      is_active: room.isActive,
      created_at: room.createdAt,
      updated_at: room.updatedAt,
      visitor_token_hash: room.visitorTokenHash,
      gsi1pk: keys.ownerPartition(room.ownerId),
      gsi1sk: `${room.createdAt}#${room.id}`,
      expires_at: this.expiry(room.updatedAt, this.options.retention.roomSeconds),
    };
  }

  private messageItem(message: ChatMessage): Item {
    return {
      ...keys.message(message.roomId, message.id),
      id: message.id,
      room_id: message.roomId,
      sender_type: message.senderType,
      content: message.content,
      created_at: message.createdAt,
      client_id: message.clientId,
      lsi1sk: timeKey(message),
      expires_at: this.expiry(message.createdAt, this.options.retention.messageSeconds),
    };
  }

  private expiry(isoTime: string, seconds: number | undefined): number | undefined {
    return seconds === undefined ? undefined : epochSeconds(Date.parse(isoTime)) + seconds;
  }

  private roomExpirySet(): string {
    return this.options.retention.roomSeconds === undefined ? '' : ', expires_at = :expires';
  }

  private roomExpiryValue(at: string): Item {
    return this.options.retention.roomSeconds === undefined
      ? {}
      : { ':expires': this.expiry(at, this.options.retention.roomSeconds) };
  }
}

/** The room item's count of the messages `side` sent. */
const sentAttribute = (side: SenderType) => `sent_${side}`;

/** The room item's attributes of `side`'s read position (flat, so one SET can copy the count from the item). */
const readAttributes = (side: SenderType) => ({
  id: `read_${side}_id`,
  key: `read_${side}_key`,
  at: `read_${side}_at`,
  count: `read_${side}_count`,
});

const lastMessageItem = (message: ChatMessage): Item => ({
  id: message.id,
  sender_type: message.senderType,
  content: message.content,
  created_at: message.createdAt,
});

function readPosition(item: Item, side: SenderType): ReadPosition | undefined {
  const read = readAttributes(side);
  if (typeof item[read.id] !== 'string') return undefined;
  return {
    messageId: String(item[read.id]),
    timeKey: String(item[read.key]),
    count: Number(item[read.count] ?? 0),
    readAt: String(item[read.at]),
  };
}

const membershipKey = ({ connectionId, identity }: Connection) =>
  identity.kind === 'room'
    ? keys.roomConnection(identity.roomId, connectionId)
    : keys.inboxConnection(identity.ownerId, connectionId);

/**
 * A sliding-window rate limit kept on the item itself: attributes rl0..rl{n-1} hold the
 * times of the last n admitted events, newest first. One conditional UpdateItem shifts the
 * log and admits the event only if the n-th most recent one is older than the window, so
 * the limit costs no extra round trip on a path that already writes the item.
 * (DynamoDB evaluates every right-hand side against the item as it was before the update.)
 */
function slidingWindowUpdate(limit: number, nowMs: number, windowMs: number, prefix = 'rl') {
  const sets = [`${prefix}0 = :now`];
  for (let i = 1; i < limit; i += 1) sets.push(`${prefix}${i} = if_not_exists(${prefix}${i - 1}, :zero)`);
  return {
    UpdateExpression: `SET ${sets.join(', ')}`,
    ExpressionAttributeValues: {
      ':now': nowMs,
      ':windowStart': nowMs - windowMs,
      // DynamoDB refuses unused expression values, and :zero is only used from rl1 on.
      ...(limit > 1 ? { ':zero': 0 } : {}),
    } as Item,
  };
}

const slidingWindowCondition = (limit: number) =>
  `(attribute_not_exists(rl${limit - 1}) OR rl${limit - 1} <= :windowStart)`;

function toRoom(item: Item): Room {
  const room: Room = {
    id: String(item.id),
    ownerId: String(item.owner_id),
    visitorName: String(item.visitor_name ?? ''),
    isActive: item.is_active === true,
    createdAt: String(item.created_at),
    updatedAt: String(item.updated_at),
    visitorTokenHash: String(item.visitor_token_hash),
  };
  const sentBy: Partial<Record<SenderType, number>> = {};
  const lastRead: Partial<Record<SenderType, ReadPosition>> = {};
  for (const side of ['owner', 'visitor'] as const) {
    const sent = item[sentAttribute(side)];
    if (typeof sent === 'number') sentBy[side] = sent;
    const position = readPosition(item, side);
    if (position) lastRead[side] = position;
  }
  if (Object.keys(sentBy).length) room.sentBy = sentBy;
  if (Object.keys(lastRead).length) room.lastRead = lastRead;
  const last = item.last_message as Item | undefined;
  if (last && typeof last === 'object') {
    room.lastMessage = {
      id: String(last.id),
      senderType: last.sender_type as SenderType,
      content: String(last.content),
      createdAt: String(last.created_at),
    };
  }
  return room;
}

function toMessage(item: Item): ChatMessage {
  return {
    id: String(item.id),
    roomId: String(item.room_id),
    senderType: item.sender_type as SenderType,
    content: String(item.content),
    createdAt: String(item.created_at),
    ...(typeof item.client_id === 'string' ? { clientId: item.client_id } : {}),
  };
}

function toIdentity(item: Item): ConnectionIdentity {
  return item.kind === 'inbox'
    ? { kind: 'inbox', ownerId: String(item.owner_id), role: 'owner' }
    : {
        kind: 'room',
        roomId: String(item.room_id),
        ownerId: String(item.owner_id),
        role: item.role as SenderType,
      };
}
