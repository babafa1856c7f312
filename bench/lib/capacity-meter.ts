import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}
interface ConsumedCapacity extends Capacity {
  TableName?: string;
  Table?: Capacity;
  LocalSecondaryIndexes?: Record<string, Capacity>;
  GlobalSecondaryIndexes?: Record<string, Capacity>;
}

/** What the meter saw since its last reset. */
export interface Reading {
  /** Read and write capacity units, table and indexes together. */
  rcu: number;
  wcu: number;
  /** Of which, per index name (the base table under "table"). */
  byIndex: Record<string, { rcu: number; wcu: number }>;
  /** Calls per operation, e.g. { PutItem: 2, Query: 1 }. */
  calls: Record<string, number>;
  /**
   * Conditional writes DynamoDB refused. AWS bills each like the write it would have been,
   * yet returns no ConsumedCapacity with the error; they are counted here instead.
   */
  conditionFailures: Record<string, number>;
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

const emptyReading = (): Reading => ({ rcu: 0, wcu: 0, byIndex: {}, calls: {}, conditionFailures: {} });

/**
 * Adds a middleware to the document client (the one DynamoChatStore is given): every command
 * is sent with ReturnConsumedCapacity = INDEXES and the ConsumedCapacity of each response is
 * summed, per index and as read or write units by the kind of the operation.
 */
export function attachCapacityMeter(client: DynamoDBDocumentClient): { read(): Reading; reset(): void } {
  let reading = emptyReading();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'INDEXES';
      reading.calls[operation] = (reading.calls[operation] ?? 0) + 1;
      try {
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] })
          .ConsumedCapacity;
        for (const entry of [consumed ?? []].flat()) add(reading, operation, entry);
        return result;
      } catch (error) {
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
          reading.conditionFailures[operation] = (reading.conditionFailures[operation] ?? 0) + 1;
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'benchCapacityMeter', override: true },
  );
  return {
    read: () => structuredClone(reading),
    reset: () => {
      reading = emptyReading();
    },
  };
}

function add(reading: Reading, operation: string, consumed: ConsumedCapacity): void {
  const isRead = READS.has(operation);
  const units = (c: Capacity | undefined) =>
    c === undefined
      ? 0
      : isRead
        ? (c.ReadCapacityUnits ?? c.CapacityUnits ?? 0)
        : (c.WriteCapacityUnits ?? c.CapacityUnits ?? 0);
  const bump = (name: string, value: number) => {
    const slot = (reading.byIndex[name] ??= { rcu: 0, wcu: 0 });
    if (isRead) slot.rcu += value;
    else slot.wcu += value;
  };
  const total = consumed.CapacityUnits ?? 0;
  if (isRead) reading.rcu += total;
  else reading.wcu += total;
  const tableUnits = units(consumed.Table);
  const indexed = { ...(consumed.LocalSecondaryIndexes ?? {}), ...(consumed.GlobalSecondaryIndexes ?? {}) };
  // Without a breakdown, the total is the table's.
  bump('table', consumed.Table || Object.keys(indexed).length ? tableUnits : total);
  for (const [name, c] of Object.entries(indexed)) bump(name, units(c));
}
