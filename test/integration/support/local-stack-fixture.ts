import { afterAll, afterEach, beforeAll } from 'vitest';
import type { PutEventsEntry } from '../../../local/aws-stubs.js';
import type { ObservedHttpResponse, ObservedServerFrame, TrafficObserver } from '../../../local/traffic-observer.js';
import { loadApiSpecs } from '../../support/api-specs.js';
import { startDynamoDb } from '../../../local/dynamodb.js';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../../local/local-stack.js';
import { chatClient, type ChatApi } from './chat.js';
import { startDynamoDbBackend, type DynamoDbBackend } from './dynamodb-backend.js';
import { startDynamoDbFaultProxy, type DynamoDbFaultProxy } from './dynamodb-fault-proxy.js';

/**
 * The one local stack of an integration file: `useLocalStack()` at the top of the file starts
 * the DynamoDB backend the suite runs on (see dynamodb-backend.ts) and a local stack on a free
 * port against it before the file's tests, and stops both after them.
 */

/** What a file may choose; the port (a free one) and the DynamoDB (the suite's backend) are the fixture's. */
export type LocalStackFixtureOptions = Omit<LocalStackOptions, 'port' | 'dynamodb'> & {
  /** Puts a DynamoDbFaultProxy between the stack and the suite's DynamoDB (see `faults`). */
  dynamoDbFaults?: boolean;
  /**
   * Traffic the file makes outside docs/openapi.yaml and docs/asyncapi.yaml on purpose, each with
   * its reason; everything else every response and server frame is checked against them.
   */
  unspecifiedTraffic?: UnspecifiedTraffic[];
};

/** Responses or frames a file deliberately provokes that no client can meet (e.g. the emulator's internals). */
export interface UnspecifiedTraffic {
  /** Why this traffic is outside the specs; required so every exception explains itself. */
  reason: string;
  response?: (exchange: ObservedHttpResponse) => boolean;
  frame?: (frame: ObservedServerFrame) => boolean;
}

export interface LocalStackFixture {
  readonly stack: LocalStack;
  /** chatClient(stack): the client REST and WebSocket API of docs/api.md. */
  readonly api: ChatApi;
  readonly backend: DynamoDbBackend;
  /**
   * Every line the gateway logged (requests, handler failures, PutEvents entries), in order.
   * Kept here instead of printed, unless `options.log` takes them.
   */
  readonly gatewayLines: readonly string[];
  /** Every PutEvents entry with its whole detail (the log leaves the message preview out), in order. */
  readonly putEvents: readonly PutEventsEntry[];
  /** The fault proxy in front of DynamoDB, when the file asked for `dynamoDbFaults`. */
  readonly faults: DynamoDbFaultProxy;
  /**
   * Responses and server frames the specs do not describe, not yet reported. After each test
   * (and after the file) the fixture fails with them, naming each exchange.
   */
  readonly specViolations: string[];
}

/**
 * For files that start more rooms from one address than the default start limit allows per
 * minute. 100 is the highest value allowed (and the largest sliding-window expression the
 * start limit writes, which DynamoDB Local must accept).
 */
export const MANY_ROOM_STARTS = { ROOM_STARTS_PER_MINUTE_PER_IP: '100' } as const;

/**
 * For files whose sockets send more frames a second than the default per-socket limit (5) for
 * reasons that are not the limit: bursts of test frames, and `barrier()`, which costs two
 * pings per socket. The limit itself is tested with its own values (frame-limits, limits).
 */
export const MANY_FRAMES = { MESSAGES_PER_SECOND_PER_CONNECTION: '50' } as const;

/**
 * Registers the file's beforeAll (backend, then stack) and afterAll (stack, then backend; each
 * only if it started, so a failed start still stops what did start). Call it once per file, at
 * module level and before any hook that uses it; read the returned object's fields inside
 * tests and hooks only.
 */
export function useLocalStack(options: LocalStackFixtureOptions = {}): LocalStackFixture {
  let backend: DynamoDbBackend | undefined;
  let stack: LocalStack | undefined;
  let api: ChatApi | undefined;
  let failure: unknown;
  let faults: DynamoDbFaultProxy | undefined;
  const stopFaults: (() => Promise<void>)[] = [];
  const gatewayLines: string[] = [];
  const putEvents: PutEventsEntry[] = [];
  const { dynamoDbFaults, unspecifiedTraffic = [], ...stackOptions } = options;
  const specViolations: string[] = [];
  const observe = specObserver(specViolations, unspecifiedTraffic, stackOptions.observe);

  beforeAll(async () => {
    try {
      backend = await startDynamoDbBackend();
      let dynamodb = backend.dynamodb;
      if (dynamoDbFaults) {
        // The proxy needs an endpoint to stand in front of: dynalite runs on its own port here.
        const target = dynamodb === 'memory' ? await startDynamoDb('memory') : undefined;
        if (target) stopFaults.push(target.stop);
        faults = await startDynamoDbFaultProxy(target?.endpoint ?? (dynamodb as { endpoint: string }).endpoint);
        stopFaults.unshift(faults.close);
        dynamodb = { endpoint: faults.url };
      }
      stack = await startLocalStack({
        log: (line) => gatewayLines.push(line),
        onPutEvents: (entry) => putEvents.push(entry),
        ...stackOptions,
        observe,
        port: 0,
        dynamodb,
      });
      api = chatClient(stack);
    } catch (error) {
      failure = error;
      throw error;
    }
  });

  // The test that received an undocumented response or frame fails; frames that arrive after
  // their test ended are reported by the next test, or after the file.
  afterEach(() => reportSpecViolations(specViolations));

  afterAll(async () => {
    try {
      await stack?.stop();
    } finally {
      for (const stop of stopFaults) await stop();
      await backend?.stop();
    }
    reportSpecViolations(specViolations);
  });

  const started = <T>(value: T | undefined, name: string): T => {
    if (value !== undefined) return value;
    if (failure !== undefined) {
      throw new Error(`useLocalStack: no ${name}, the local stack failed to start: ${String(failure)}`, {
        cause: failure,
      });
    }
    throw new Error(
      `useLocalStack: ${name} was read before the fixture's beforeAll ran; read it inside a test or a hook registered after useLocalStack(), not at module level`,
    );
  };

  return {
    get stack() {
      return started(stack, 'stack');
    },
    get api() {
      return started(api, 'api');
    },
    get backend() {
      return started(backend, 'backend');
    },
    gatewayLines,
    putEvents,
    get faults() {
      if (!dynamoDbFaults) throw new Error('useLocalStack: no fault proxy; pass { dynamoDbFaults: true }');
      return started(faults, 'fault proxy');
    },
    specViolations,
  };
}

/** Checks every response and server frame against docs/openapi.yaml and docs/asyncapi.yaml. */
function specObserver(
  violations: string[],
  exempt: UnspecifiedTraffic[],
  alsoObserve: TrafficObserver | undefined,
): TrafficObserver {
  const specs = loadApiSpecs();
  return {
    httpResponse(exchange) {
      alsoObserve?.httpResponse(exchange);
      if (exempt.some((e) => e.response?.(exchange))) return;
      const problems = specs.checkResponse(exchange);
      if (problems.length > 0) {
        const query = exchange.query ? `?${withoutCredentials(exchange.query)}` : '';
        violations.push(`${exchange.method} ${exchange.path}${query} → ${exchange.status}: ${problems.join('; ')}`);
      }
    },
    serverFrame(frame) {
      alsoObserve?.serverFrame(frame);
      if (exempt.some((e) => e.frame?.(frame))) return;
      const problems = specs.checkServerFrame(frame.channel, frame.data);
      if (problems.length > 0) violations.push(`frame on a ${frame.channel} socket: ${problems.join('; ')}`);
    },
  };
}

/** Credentials stay out of failure messages, as out of logs. */
const withoutCredentials = (query: string) => query.replace(/\b(visitor|token)=[^&]*/g, '$1=…');

function reportSpecViolations(violations: string[]): void {
  if (violations.length === 0) return;
  const found = violations.splice(0);
  throw new Error(
    `${found.length} response(s) or frame(s) contradict docs/openapi.yaml or docs/asyncapi.yaml:\n- ${found.join('\n- ')}`,
  );
}
