import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Item } from './item-codec.js';
import type { TableClient } from './table-client.js';

/**
 * Reading a Query past DynamoDB's pages (1 MB each, or `Limit` items): each page's
 * LastEvaluatedKey is the next request's ExclusiveStartKey, until a page has none.
 */

/** Every item the query matches, across all its pages. */
export async function queryAll(table: TableClient, input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await table.client.send(
      new QueryCommand({ TableName: table.tableName, ...input, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** How many items the query counts (`Select: 'COUNT'`, after its filter), across all its pages. */
export async function countAll(
  table: TableClient,
  input: Omit<QueryCommandInput, 'TableName' | 'Select'>,
): Promise<number> {
  let count = 0;
  let startKey: Item | undefined;
  do {
    const page = await table.client.send(
      new QueryCommand({ TableName: table.tableName, ...input, Select: 'COUNT', ExclusiveStartKey: startKey }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return count;
}

/**
 * Asks each page for this many items beyond the ones still wanted: one tells whether more
 * remain, one makes up for an inclusive range bound that is read and then left out.
 */
const LOOKAHEAD = 2;

export interface BudgetedRead<T> {
  /** At most this many values. */
  limit?: number;
  /** The item's value, or undefined to leave it out (expired, a range bound); left-out items do not count. */
  decode: (item: Item) => T | undefined;
  /** Asked of each value before it is taken; reading stops at the first one refused (a response's size budget). */
  fits?: (value: T) => boolean;
}

/**
 * Values in the query's order until `limit` are taken or `fits` refuses one, reading no more
 * pages than that needs; `more` tells whether the read stopped before the query's end.
 */
export async function readBudgeted<T>(
  table: TableClient,
  input: Omit<QueryCommandInput, 'TableName' | 'Limit' | 'ExclusiveStartKey'>,
  read: BudgetedRead<T>,
): Promise<{ values: T[]; more: boolean }> {
  const values: T[] = [];
  let startKey: Item | undefined;
  do {
    const page = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        ...input,
        ExclusiveStartKey: startKey,
        Limit: read.limit === undefined ? undefined : read.limit - values.length + LOOKAHEAD,
      }),
    );
    for (const item of page.Items ?? []) {
      const value = read.decode(item);
      if (value === undefined) continue;
      if ((read.limit !== undefined && values.length >= read.limit) || (read.fits && !read.fits(value))) {
        return { values, more: true };
      }
      values.push(value);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { values, more: false };
}
