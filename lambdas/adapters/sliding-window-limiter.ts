import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { rateRowExpiry, type Item } from './item-codec.js';
import { isConditionFailure, type TableClient } from './table-client.js';

/** At most `limit` events within any `windowMs`; a limit of 0 is no limit. */
export interface SlidingWindow {
  limit: number;
  windowMs: number;
}

/** At most one event named `name` per `everyMs` on a row; its last time is kept in `<name>_at`. */
export interface Throttle {
  name: string;
  everyMs: number;
}

/** The attributes that log a row's events: rl0.. for admitted ones, rf0.. for refusals. */
const ADMITTED = 'rl';
const REFUSED = 'rf';

/**
 * Sliding-window rate limits kept on DynamoDB rows: attributes rl0..rl{n-1} hold the times of
 * the last n admitted events, newest first. One conditional UpdateItem shifts the log and admits
 * the event only if the n-th most recent one is older than the window, so the limit costs no
 * extra round trip on a path that already writes the row. Times are the caller's (the frame's
 * arrival, the request's time), never read from a clock here.
 */
export class SlidingWindowLimiter {
  constructor(private readonly table: TableClient) {}

  /**
   * Counts one event against a row of its own (created on first use), which expires a little
   * after its last use; false when the window is full.
   */
  async admit(key: Item, window: SlidingWindow, nowMs: number): Promise<boolean> {
    if (window.limit === 0) return true;
    const update = logUpdate(ADMITTED, window.limit, nowMs);
    const expiry = rateRowExpiry(nowMs, window.windowMs);
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: key,
          UpdateExpression: `SET ${update.sets.join(', ')}${expiry.set}`,
          ExpressionAttributeValues: { ...update.values, ...windowStart(window, nowMs), ...expiry.values },
          ConditionExpression: roomInWindow(window.limit),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Counts one event against the window of an existing row (a connection's frames; a limit of 0
   * counts nothing) and returns the row as it is now; undefined when the window is full or the
   * row does not exist (the condition cannot tell which: logRefusal does).
   * With `throttle`, the same write also requires the row's last throttled event (its time, in
   * `<name>_at`) to be at least `throttle.everyMs` old, and moves it to this one: at most one such
   * event per interval (a relayed typing frame), refused like a full window.
   */
  async admitOnRow(key: Item, window: SlidingWindow, nowMs: number, throttle?: Throttle): Promise<Item | undefined> {
    const sets: string[] = [];
    const conditions = ['attribute_exists(pk)'];
    const values: Item = {};
    if (window.limit > 0) {
      const update = logUpdate(ADMITTED, window.limit, nowMs);
      sets.push(...update.sets);
      conditions.push(roomInWindow(window.limit));
      Object.assign(values, update.values, windowStart(window, nowMs));
    }
    if (throttle) {
      const last = `${throttle.name}_at`;
      const start = `:${throttle.name}Start`;
      sets.push(`${last} = :now`);
      conditions.push(`(attribute_not_exists(${last}) OR ${last} <= ${start})`);
      Object.assign(values, { ':now': nowMs, [start]: nowMs - throttle.everyMs });
    }
    // Nothing to count: a plain read of the row would do, and the caller makes it.
    if (sets.length === 0) throw new Error('admitOnRow needs a window with a limit or a throttle');
    try {
      const { Attributes } = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: key,
          UpdateExpression: `SET ${sets.join(', ')}`,
          ExpressionAttributeValues: values,
          ConditionExpression: conditions.join(' AND '),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /**
   * Logs a refusal on an existing row (the last `repeated.count`, newest first) and tells
   * whether that many fell within `repeated.windowMs`; undefined when the row does not exist.
   * Only a refused event pays for this write.
   */
  async logRefusal(
    key: Item,
    repeated: { count: number; withinMs: number },
    nowMs: number,
  ): Promise<{ repeated: boolean } | undefined> {
    const { count, withinMs } = repeated;
    const update = logUpdate(REFUSED, count, nowMs);
    try {
      const { Attributes } = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: key,
          UpdateExpression: `SET ${update.sets.join(', ')}`,
          ExpressionAttributeValues: update.values,
          ConditionExpression: 'attribute_exists(pk)',
          ReturnValues: 'ALL_NEW',
        }),
      );
      const oldest = Attributes?.[`${REFUSED}${count - 1}`];
      return { repeated: typeof oldest === 'number' && oldest > nowMs - withinMs };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }
}

/**
 * Shifts the log `<prefix>0..<prefix>{length-1}` by one and writes `nowMs` first.
 * (DynamoDB evaluates every right-hand side against the item as it was before the update.)
 */
function logUpdate(prefix: string, length: number, nowMs: number) {
  const sets = [`${prefix}0 = :now`];
  for (let i = 1; i < length; i += 1) sets.push(`${prefix}${i} = if_not_exists(${prefix}${i - 1}, :zero)`);
  // DynamoDB refuses unused expression values, and :zero is only used from the second entry on.
  return { sets, values: { ':now': nowMs, ...(length > 1 ? { ':zero': 0 } : {}) } as Item };
}

const windowStart = (window: SlidingWindow, nowMs: number): Item => ({ ':windowStart': nowMs - window.windowMs });

/** The window has room when its n-th most recent event (the oldest logged) is outside it. */
const roomInWindow = (limit: number) =>
  `(attribute_not_exists(${ADMITTED}${limit - 1}) OR ${ADMITTED}${limit - 1} <= :windowStart)`;
