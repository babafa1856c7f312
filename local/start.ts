/**
 * `npm start`: the chat backend on http://localhost:8000, served from the synthesized CDK
 * app. Options: --port N (or PORT), --in-memory (no data kept), --host ADDRESS (or HOST);
 * DYNAMODB_ENDPOINT uses another DynamoDB, JWT_SECRET the owner-token key, LOG_LEVEL the
 * functions' log level (WARN by default).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { LocalStackError } from './errors.js';
import { startLocalStack, type LocalStack } from './local-stack.js';
import { DEFAULT_JWT_SECRET } from './owner-token.js';

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'in-memory': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new LocalStackError(`${(error as Error).message} (npm start -- --help)`);
  }
  if (values.help) {
    console.log('usage: npm start -- [--port 8000] [--host 127.0.0.1] [--in-memory]');
    process.exit(0);
  }
  const rawPort = values.port ?? process.env.PORT ?? '8000';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LocalStackError(`Port must be 0-65535, got "${rawPort}"`);
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  return {
    port,
    host: values.host ?? process.env.HOST,
    dynamodb: endpoint ? { endpoint } : values['in-memory'] ? ('memory' as const) : ('disk' as const),
  };
}

function banner(stack: LocalStack): string {
  const base = stack.httpUrl;
  const owner = randomUUID();
  const rest = stack.served.httpRoutes
    .filter((r) => !r.routeKey.endsWith('+}'))
    .map((r) => {
      const path = r.routeKey.replace(/^\S+ /, '').replace(/\{(\w+)\}/g, '<$1>');
      // Descriptions read "POST /api/chat/start/: a visitor opens a room".
      const described = /^([A-Z]+) \S+: (.*)$/.exec(r.description ?? '');
      const method = described?.[1] ?? r.routeKey.split(' ')[0]!;
      return `    ${method.padEnd(5)}${`${base}${path}/`.padEnd(60)} ${described?.[2] ?? r.functionId}`;
    });
  return [
    '',
    `CarChat local stack on ${base}  (functions from cdk.out, ${stack.dynamoDb})`,
    '',
    '  REST',
    ...rest,
    '  WebSocket',
    `    ${stack.wsUrl}/ws/chat/<room_id>/?visitor=<visitor_token>`,
    `    ${stack.wsUrl}/ws/chat/<room_id>/?token=<owner JWT>`,
    `    ${stack.wsUrl}/ws/inbox/?token=<owner JWT>`,
    '',
    `  Owner tokens are HS256 with JWT_SECRET=${stack.jwtSecret}${stack.jwtSecret === DEFAULT_JWT_SECRET ? ' (the local default)' : ''}`,
    '',
    'Try it:',
    `  curl -s -X POST ${base}/api/chat/start/ -H 'content-type: application/json' -d '{"user_id":"${owner}"}'`,
    `  npx wscat -c '${stack.wsUrl}/ws/chat/<room_id>/?visitor=<visitor_token>'     then send {"message":"Salom"}`,
    `  npm run -s token -- ${owner}     # an owner access token for that owner`,
    '',
    'Ctrl-C stops.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const stack = await startLocalStack(options());
  console.log(banner(stack));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      console.log('Stopping now.');
      process.exit(1);
    }
    stopping = true;
    console.log(`\n${signal}: closing sockets, servers and DynamoDB...`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`error while stopping: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof LocalStackError) {
    console.error(`error: ${error.message}`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
