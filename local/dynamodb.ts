import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type CreateTableCommandInput,
  type ProvisionedThroughput,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { TableDefinition } from './cloud-assembly.js';
import { LocalStackError } from './errors.js';

/** 'memory': nothing kept; 'disk': LevelDB under `.data/dynalite`; or any DynamoDB endpoint. */
export type DynamoDbMode = 'memory' | 'disk' | { endpoint: string };

export interface LocalDynamoDb {
  endpoint: string;
  description: string;
  stop(): Promise<void>;
}

/** Config for an AWS SDK client of a local endpoint (DynamoDB, the management API): any credentials do. */
export const localClientConfig = (endpoint: string, region = 'us-east-1') => ({
  endpoint,
  region,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

/**
 * Starts dynalite on a free loopback port, or just points at the given endpoint.
 * `dataDir` is where 'disk' keeps its data (the other modes do not use it).
 */
export async function startDynamoDb(mode: DynamoDbMode, dataDir?: string): Promise<LocalDynamoDb> {
  if (typeof mode === 'object') {
    return { endpoint: mode.endpoint, description: `DynamoDB at ${mode.endpoint}`, stop: async () => undefined };
  }
  if (mode === 'disk' && !dataDir) throw new LocalStackError("startDynamoDb('disk') needs a data directory");
  const unlock = mode === 'disk' ? lockDataDir(dataDir!) : () => undefined;
  // Tables become ACTIVE at once: nothing here waits for provisioning.
  const server: Server = dynalite({
    ...(mode === 'disk' ? { path: dataDir } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  }).catch((error: unknown) => {
    unlock();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    description: mode === 'disk' ? `dynalite, data in ${dataDir}` : 'dynalite, in memory (nothing is kept)',
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }).finally(unlock),
  };
}

/**
 * LevelDB allows one process per directory, and dynalite turns a second one into an
 * uncaught "Database is closed" later on; a pid file next to the data says so up front.
 */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = `${dataDir}.pid`;
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
  } catch {
    const holder = Number(readFileSync(lockFile, 'utf8'));
    if (holder !== process.pid && isRunning(holder)) {
      throw new LocalStackError(
        `${dataDir} is in use by another local stack (pid ${holder}); stop it, or start this one with --in-memory`,
      );
    }
    writeFileSync(lockFile, String(process.pid));
  }
  return () => rmSync(lockFile, { force: true });
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The CreateTable input for a table of the template: key schema, attributes and indexes as
 * deployed. Settings that emulators do not take (SSE, PITR, TTL, deletion protection,
 * tags, streams) are left out; they change nothing the handlers can observe.
 */
export function createTableInput(table: TableDefinition, tableName: string): CreateTableCommandInput {
  const p = table.properties as Record<string, any>;
  const provisioned = p.BillingMode !== 'PAY_PER_REQUEST';
  const throughput = (source: unknown): { ProvisionedThroughput?: ProvisionedThroughput } =>
    provisioned
      ? { ProvisionedThroughput: (source as ProvisionedThroughput) ?? { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } }
      : {};
  const index = (i: Record<string, any>) => ({
    IndexName: i.IndexName,
    KeySchema: i.KeySchema,
    Projection: i.Projection,
  });
  return {
    TableName: tableName,
    KeySchema: p.KeySchema,
    AttributeDefinitions: p.AttributeDefinitions,
    BillingMode: provisioned ? 'PROVISIONED' : 'PAY_PER_REQUEST',
    ...throughput(p.ProvisionedThroughput),
    ...(p.GlobalSecondaryIndexes?.length
      ? {
          GlobalSecondaryIndexes: p.GlobalSecondaryIndexes.map((i: Record<string, any>) => ({
            ...index(i),
            ...throughput(i.ProvisionedThroughput),
          })),
        }
      : {}),
    ...(p.LocalSecondaryIndexes?.length ? { LocalSecondaryIndexes: p.LocalSecondaryIndexes.map(index) } : {}),
  };
}

/** Creates each table that does not exist yet and waits until it is ACTIVE. */
export async function ensureTables(
  endpoint: string,
  region: string,
  tables: { input: CreateTableCommandInput }[],
): Promise<string[]> {
  const client = new DynamoDBClient(localClientConfig(endpoint, region));
  const created: string[] = [];
  try {
    for (const { input } of tables) {
      const name = input.TableName!;
      if (!(await tableStatus(client, name))) {
        try {
          await client.send(new CreateTableCommand(input));
          created.push(name);
        } catch (error) {
          throw new LocalStackError(`Cannot create table ${name} at ${endpoint}: ${(error as Error).message}`);
        }
      }
      for (let attempt = 0; (await tableStatus(client, name)) !== 'ACTIVE'; attempt += 1) {
        if (attempt > 100) throw new LocalStackError(`Table ${name} did not become ACTIVE`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    if (error instanceof LocalStackError) throw error;
    throw new LocalStackError(`DynamoDB at ${endpoint} is not reachable: ${(error as Error).message}`);
  } finally {
    client.destroy();
  }
  return created;
}

async function tableStatus(client: DynamoDBClient, name: string): Promise<string | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    return Table?.TableStatus;
  } catch (error) {
    if (
      error instanceof ResourceNotFoundException ||
      (error as { name?: string }).name === 'ResourceNotFoundException'
    ) {
      return undefined;
    }
    throw error;
  }
}
