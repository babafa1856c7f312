/**
 * `npm start`: the chat backend on http://localhost:8000, served from the synthesized CDK
 * app. Options: --port N (or PORT), --in-memory (no data kept), --host ADDRESS (or HOST),
 * --pages-port N (the reference pages, local/reference-pages.ts; the API's port + 1 unless given);
 * DYNAMODB_ENDPOINT uses another DynamoDB, JWT_SECRET the owner-token key, LOG_LEVEL the
 * functions' log level (WARN by default).
 */
import { parseArgs } from 'node:util';
import { banner } from './banner.js';
import { LocalStackError } from './errors.js';
import { startLocalStack } from './local-stack.js';
import { startReferencePages } from './reference-pages.js';

const ARGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'pages-port': { type: 'string' },
  'in-memory': { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

function options() {
  let values: ReturnType<typeof parseArgs<{ options: typeof ARGS }>>['values'];
  try {
    ({ values } = parseArgs({ options: ARGS }));
  } catch (error) {
    throw new LocalStackError(`${(error as Error).message} (npm start -- --help)`);
  }
  if (values.help) {
    console.log('usage: npm start -- [--port 8000] [--host 127.0.0.1] [--in-memory] [--pages-port 8001]');
    process.exit(0);
  }
  const rawPort = values.port ?? process.env.PORT ?? '8000';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new LocalStackError(`Port must be 0-65535, got "${rawPort}"`);
  // Port 0 (any free one) for the API means any free one for the pages too.
  const rawPagesPort = values['pages-port'] ?? String(port === 0 ? 0 : port + 1);
  const pagesPort = Number(rawPagesPort);
  if (!Number.isInteger(pagesPort) || pagesPort < 0 || pagesPort > 65535)
    throw new LocalStackError(`Pages port must be 0-65535, got "${rawPagesPort}"`);
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  return {
    port,
    pagesPort,
    host: values.host ?? process.env.HOST,
    dynamodb: endpoint ? { endpoint } : values['in-memory'] ? ('memory' as const) : ('disk' as const),
  };
}

async function main(): Promise<void> {
  const { pagesPort, ...stackOptions } = options();
  const stack = await startLocalStack(stackOptions);
  const pages = await startReferencePages({
    port: pagesPort,
    host: stackOptions.host,
    apiPort: stack.port,
    jwtSecret: stack.jwtSecret,
  }).catch(async (error: unknown) => {
    await stack.stop();
    throw error;
  });
  console.log(banner(stack, pages));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      console.log('Stopping now.');
      process.exit(1);
    }
    stopping = true;
    console.log(`\n${signal}: closing sockets, servers and DynamoDB...`);
    Promise.all([pages.close(), stack.stop()]).then(
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
