/**
 * Child-process entry: runs one local stack (local/local-stack.ts) with dynalite beside it,
 * driven over IPC by local-stack-process.ts. The stack runs in a process of its own because
 * a process can start only one (the bundles keep the configuration they were imported with),
 * and so that the clients measuring it do not share its event loop.
 */
import { startLocalStack, type LocalStack } from '../../local/local-stack.js';
import { startDynamoDb, type LocalDynamoDb } from '../../local/dynamodb.js';
import type { HostReply, HostRequest } from './local-stack-process.js';

let dynamodb: LocalDynamoDb | undefined;
let stack: LocalStack | undefined;
const lines: string[] = [];

const reply = (message: HostReply) => process.send?.(message);

process.on('message', (message: HostRequest) => {
  void handle(message).catch((error: unknown) =>
    reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});

async function handle(message: HostRequest): Promise<void> {
  switch (message.type) {
    case 'start': {
      dynamodb = await startDynamoDb('memory');
      reply({ type: 'dynamodb', endpoint: dynamodb.endpoint });
      return;
    }
    case 'stack': {
      const started = performance.now();
      stack = await startLocalStack({
        port: message.port,
        host: message.host,
        dynamodb: { endpoint: message.dynamodbEndpoint ?? dynamodb!.endpoint },
        jwtSecret: message.jwtSecret,
        logLevel: message.logLevel,
        environment: message.environment,
        services: message.services,
        log: (line) => {
          if (lines.length < 200) lines.push(line);
        },
      });
      reply({
        type: 'ready',
        port: stack.port,
        startMs: performance.now() - started,
        environment: stack.served.environment,
        dynamoDb: stack.dynamoDb,
      });
      return;
    }
    case 'cpu': {
      const usage = process.cpuUsage();
      reply({ type: 'cpu', userMs: usage.user / 1000, systemMs: usage.system / 1000, lines: lines.splice(0) });
      return;
    }
    case 'stop': {
      await stack?.stop();
      await dynamodb?.stop();
      reply({ type: 'stopped' });
      setTimeout(() => process.exit(0), 50);
      return;
    }
  }
}
