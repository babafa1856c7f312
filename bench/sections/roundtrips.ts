import { parseFrame } from '../../lambdas/handlers/ws/frames.js';
import { handshakeCredentials } from '../../lambdas/handlers/ws/connect.route.js';
import { bearerCredential } from '../../lambdas/handlers/http/parse.js';
import { SETTINGS } from '../../lambdas/config/settings-contract.js';
import { randomUUID } from 'node:crypto';
import { DynamoChatStore } from '../../lambdas/adapters/dynamo-chat-store.js';
import { connect, disconnect } from '../../lambdas/domain/connections.js';
import { systemClock } from '../../lambdas/domain/deps.js';
import { handleFrame } from '../../lambdas/domain/messages.js';
import type { ChatEventPublisher } from '../../lambdas/domain/ports.js';
import { getHistory, listRooms } from '../../lambdas/domain/rooms.js';
import { startChat } from '../../lambdas/domain/start-chat.js';
import { createTableInput, ensureTables, startDynamoDb } from '../../local/dynamodb.js';
import { freePort } from '../../local/free-port.js';
import { newServicesSecret } from '../../local/services-server.js';
import { callWaves, startDelayProxy, type DelayProxy } from '../delay-proxy.js';
import { messageFunction, readAssembly, type Assembly } from '../lib/assembly.js';
import { ChatSocket, ownerToken } from '../lib/chat-client.js';
import { documentClient, REGION } from '../lib/dynamodb.js';
import { connectionIdLike, RecordingGateway, silentLogger, uncountedMetrics, tokenIsOwnerId } from '../lib/fakes.js';
import { LocalStackProcess } from '../lib/local-stack-process.js';
import { code, mark, table } from '../lib/markdown.js';
import type { Section, SectionContext } from '../lib/section.js';
import { fmt, median } from '../lib/stats.js';
import { storeOptionsFromTemplate } from '../lib/store-options.js';
import { environmentOf, envName } from '../../lambdas/config/settings-contract.js';

/** The injected latency in front of every DynamoDB and management API call. */
export const DELAY_MS = 20;
const REPS = 9;
const TABLE = 'CarChatRoundTrips';

interface Call {
  operation: string;
  start: number;
  end: number;
}

export interface TimedOperation {
  id: string;
  label: string;
  elapsedMs: number[];
  /** Sequential waves of calls (DynamoDB, management API, EventBridge) before the result. */
  waves: string[][];
}

export interface RoundTripResults {
  delayMs: number;
  inProcess: TimedOperation[];
  /** The same with twice the delay: the difference counts the delays, the code's own time cancels out. */
  inProcessDouble: TimedOperation[];
  localStack?: TimedOperation[];
  localStackDouble?: TimedOperation[];
  localStackError?: string;
}

const LABELS: Record<string, string> = {
  start: 'Start chat',
  connectVisitor: '$connect (visitor)',
  connectOwner: '$connect (owner)',
  messageVisitor: 'Message visitor → owner (send to receive)',
  messageOwner: 'Message owner → visitor (send to receive)',
  read: 'Read receipt owner → visitor (send to receive)',
  typing: 'Typing visitor → owner (send to receive)',
  listRooms: 'Room list',
  history: 'History (visitor token)',
  disconnect: '$disconnect',
};

export const roundTripsSection: Section = {
  id: 'roundtrips',
  title: `Hot-path round trips (${DELAY_MS} ms injected per call)`,
  async run(ctx: SectionContext) {
    const assembly = readAssembly();
    const messageFn = messageFunction(assembly);
    const options = storeOptionsFromTemplate(messageFn.environment, TABLE);

    ctx.log('roundtrips: in process (domain use cases + DynamoChatStore through the delay proxy)');
    const inProcess = await measureInProcess(assembly.table, options, DELAY_MS);
    const inProcessDouble = await measureInProcess(assembly.table, options, 2 * DELAY_MS);

    const results: RoundTripResults = { delayMs: DELAY_MS, inProcess, inProcessDouble };
    ctx.log('roundtrips: on the local stack (sockets and HTTP through the local gateway)');
    try {
      results.localStack = await measureOnLocalStack(ctx, DELAY_MS);
      results.localStackDouble = await measureOnLocalStack(ctx, 2 * DELAY_MS);
    } catch (error) {
      results.localStackError = error instanceof Error ? error.message : String(error);
      ctx.log(`roundtrips: local stack not measured: ${results.localStackError.split('\n')[0]}`);
    }
    ctx.results.roundtrips = results;
    return render(results);
  },
};

// ---- in process ------------------------------------------------------------------------

async function measureInProcess(
  templateTable: Assembly['table'],
  options: ReturnType<typeof storeOptionsFromTemplate>,
  delayMs: number,
): Promise<TimedOperation[]> {
  const dynalite = await startDynamoDb('memory');
  const proxy = await startDelayProxy({ target: dynalite.endpoint, delayMs });
  const client = documentClient(proxy.url);
  try {
    await ensureTables(dynalite.endpoint, REGION, [{ input: createTableInput(templateTable, TABLE) }]);
    const store = new DynamoChatStore({ ...options, client });
    const gateway = new RecordingGateway(delayMs);
    const eventCalls: Call[] = [];
    const events: ChatEventPublisher = {
      visitorMessagePosted: async () => {
        const start = performance.now();
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        eventCalls.push({ operation: 'PutEvents', start, end: performance.now() });
      },
    };
    const deps = {
      store,
      gateway,
      verifier: tokenIsOwnerId,
      clock: systemClock,
      logger: silentLogger,
      metrics: uncountedMetrics,
      socketsPerRoomMember: SETTINGS.socketsPerRoomMember.default,
    };
    const messageDeps = {
      ...deps,
      events,
      maxMessageLength: options.maxMessageLength,
      maxMessagesPerRoom: options.maxMessagesPerRoom,
    };
    const startDeps = { ...deps, wsUrlFor: (roomId: string) => `ws://localhost/ws/chat/${roomId}/` };
    const ownerId = randomUUID();
    let seq = 0;
    let ip = 0;

    const calls = (from: number, to: number): Call[] =>
      [
        ...proxy.calls,
        ...gateway.posts.map((p) => ({ operation: 'PostToConnection', start: p.start, end: p.end })),
        ...eventCalls,
      ].filter((c) => c.start >= from - 0.5 && c.start <= to);
    const reset = () => {
      proxy.reset();
      gateway.reset();
      eventCalls.length = 0;
    };
    const ops = new Map<string, TimedOperation>();
    const record = (id: string, elapsed: number, window: Call[]) => {
      const op = ops.get(id) ?? { id, label: LABELS[id]!, elapsedMs: [], waves: waves(window) };
      op.elapsedMs.push(elapsed);
      ops.set(id, op);
    };
    const timed = async (id: string, action: () => Promise<unknown>, keep: boolean) => {
      reset();
      const t0 = performance.now();
      await action();
      const t1 = performance.now();
      if (keep) record(id, t1 - t0, calls(t0, t1));
    };

    for (let rep = -1; rep < REPS; rep += 1) {
      const keep = rep >= 0; // the first round warms connections and code paths
      let room = { room_id: '', visitor_token: '' };
      await timed(
        'start',
        async () => {
          room = await startChat(startDeps, {
            userId: ownerId,
            visitorName: undefined,
            sourceIp: `192.0.2.${(ip += 1)}`,
          });
        },
        keep,
      );
      const visitor = connectionIdLike((seq += 1), 'v');
      const owner = connectionIdLike((seq += 1), 'o');
      await timed(
        'connectVisitor',
        () =>
          connect(deps, {
            connectionId: visitor,
            credentials: handshakeCredentials({ room: room.room_id, visitor: room.visitor_token }),
            connectedAtMs: Date.now(),
          }),
        keep,
      );
      await timed(
        'connectOwner',
        () =>
          connect(deps, {
            connectionId: owner,
            credentials: handshakeCredentials({ room: room.room_id, token: ownerId }),
            connectedAtMs: Date.now(),
          }),
        keep,
      );
      for (const [id, from, to] of [
        ['messageVisitor', visitor, owner],
        ['messageOwner', owner, visitor],
      ] as const) {
        reset();
        const received = gateway.nextPostTo(to);
        const t0 = performance.now();
        const done = handleFrame(messageDeps, {
          connectionId: from,
          frame: parseFrame(JSON.stringify({ message: `hello ${rep}` })),
          arrivedAtMs: Date.now(),
        });
        const post = await received;
        await done;
        if (keep) record(id, post.end - t0, calls(t0, post.start));
      }
      const [newest] = (await store.listMessages(room.room_id, { limit: 1 })).messages;
      for (const [id, from, to, frame] of [
        ['read', owner, visitor, { type: 'read', message_id: newest!.id }],
        ['typing', visitor, owner, { type: 'typing' }],
      ] as const) {
        reset();
        const received = gateway.nextPostTo(to);
        const t0 = performance.now();
        const done = handleFrame(messageDeps, {
          connectionId: from,
          frame: parseFrame(JSON.stringify(frame)),
          arrivedAtMs: Date.now(),
        });
        const post = await received;
        await done;
        if (keep) record(id, post.end - t0, calls(t0, post.start));
      }
      await timed('listRooms', () => listRooms(deps, bearerCredential(`Bearer ${ownerId}`)), keep);
      await timed('history', () => getHistory(deps, room.room_id, { visitorToken: room.visitor_token }, {}), keep);
      await timed('disconnect', () => disconnect(deps, visitor), keep);
    }
    return [...ops.values()];
  } finally {
    client.destroy();
    await proxy.close();
    await dynalite.stop();
  }
}

// ---- on the local stack ------------------------------------------------------------------

async function measureOnLocalStack(ctx: SectionContext, delayMs: number): Promise<TimedOperation[]> {
  const { host, dynamodbEndpoint } = await LocalStackProcess.launch();
  const proxies: DelayProxy[] = [];
  try {
    const dynamoProxy = await startDelayProxy({ target: dynamodbEndpoint, delayMs });
    proxies.push(dynamoProxy);
    // The functions reach the management API at WS_CALLBACK_URL; startLocalStack's `environment`
    // option points it at the delay proxy, which forwards to the stack's own @connections on
    // the loopback services server (its port and path secret chosen here, so known up front).
    const port = await freePort();
    const services = { port: await freePort(), secret: newServicesSecret() };
    const callbackProxy = await startDelayProxy({ target: `http://127.0.0.1:${services.port}`, delayMs });
    proxies.push(callbackProxy);
    const callbackUrl = `${callbackProxy.url}/${services.secret}`;

    const jwtSecret = `bench-${randomUUID()}`;
    const ready = await host.startStack({
      port,
      host: '127.0.0.1',
      dynamodbEndpoint: dynamoProxy.url,
      jwtSecret,
      logLevel: 'ERROR',
      environment: environmentOf({ wsCallbackUrl: callbackUrl }),
      services,
    });
    ctx.log(
      `roundtrips: local stack ready in ${(ready.startMs / 1000).toFixed(1)} s (${ready.dynamoDb}, ${delayMs} ms delay)`,
    );
    const served = ready.environment[envName('wsCallbackUrl')];
    if (served !== callbackUrl) {
      throw new Error(
        `the functions got ${envName('wsCallbackUrl')}=${served}, not the delay proxy ${callbackProxy.url}`,
      );
    }
    const http = `http://127.0.0.1:${port}`;
    const ws = `ws://127.0.0.1:${port}`;
    const ownerId = randomUUID();
    const token = await ownerToken(ownerId, jwtSecret);

    const calls = (from: number, to: number): Call[] =>
      [...dynamoProxy.calls, ...callbackProxy.calls].filter((c) => c.start >= from - 0.5 && c.start <= to);
    const reset = async () => {
      // $disconnect of the previous round's sockets runs after they closed: let it finish.
      await Promise.all([dynamoProxy.settled(), callbackProxy.settled()]);
      dynamoProxy.reset();
      callbackProxy.reset();
    };
    const ops = new Map<string, TimedOperation>();
    const record = (id: string, elapsed: number, window: Call[]) => {
      const op = ops.get(id) ?? { id, label: LABELS[id]!, elapsedMs: [], waves: waves(window) };
      op.elapsedMs.push(elapsed);
      ops.set(id, op);
    };
    const fetchJson = async (url: string, init?: RequestInit) => {
      const response = await fetch(url, init);
      const body = (await response.json()) as Record<string, unknown>;
      if (!response.ok)
        throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${response.status} ${JSON.stringify(body)}`);
      return body;
    };

    for (let rep = -1; rep < REPS; rep += 1) {
      const keep = rep >= 0;
      await reset();
      let t0 = performance.now();
      const room = (await fetchJson(`${http}/api/chat/start/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: ownerId, visitor_name: 'Bench' }),
      })) as { room_id: string; visitor_token: string };
      let t1 = performance.now();
      if (keep) record('start', t1 - t0, calls(t0, t1));

      await reset();
      t0 = performance.now();
      const visitor = await ChatSocket.open(`${ws}/ws/chat/${room.room_id}/?visitor=${room.visitor_token}`);
      t1 = performance.now();
      if (keep) record('connectVisitor', t1 - t0, calls(t0, t1));

      await reset();
      t0 = performance.now();
      const owner = await ChatSocket.open(`${ws}/ws/chat/${room.room_id}/?token=${token}`);
      t1 = performance.now();
      if (keep) record('connectOwner', t1 - t0, calls(t0, t1));

      for (const [id, from, to] of [
        ['messageVisitor', visitor, owner],
        ['messageOwner', owner, visitor],
      ] as const) {
        const text = `${id} ${rep} ${randomUUID()}`;
        await reset();
        const sentAt = from.send({ message: text });
        const got = await to.waitFor((data) => data.message === text);
        await from.waitFor((data) => data.message === text); // the sender's echo
        // A call is logged when its response has gone back: read the log once all are done.
        await Promise.all([dynamoProxy.settled(), callbackProxy.settled()]);
        if (keep) record(id, got.at - sentAt, calls(sentAt, got.at));
      }

      await reset();
      t0 = performance.now();
      await fetchJson(`${http}/api/chat/rooms/`, { headers: { authorization: `Bearer ${token}` } });
      t1 = performance.now();
      if (keep) record('listRooms', t1 - t0, calls(t0, t1));

      await reset();
      t0 = performance.now();
      await fetchJson(`${http}/api/chat/rooms/${room.room_id}/messages/?visitor=${room.visitor_token}`);
      t1 = performance.now();
      if (keep) record('history', t1 - t0, calls(t0, t1));

      await visitor.close();
      await owner.close();
    }
    return [...ops.values()];
  } finally {
    await host.stop();
    for (const proxy of proxies) await proxy.close();
  }
}

// ---- analysis and report ---------------------------------------------------------------

/** The operations of each wave of calls (see callWaves), sorted for a stable report. */
const waves = (calls: readonly Call[]): string[][] =>
  callWaves(calls).map((wave) => wave.map((call) => call.operation).sort());

const isDynamo = (operation: string) =>
  /^(GetItem|PutItem|UpdateItem|DeleteItem|Query|Scan|BatchWriteItem)$/.test(operation);

function describeWaves(waves: string[][]): string {
  return waves
    .map((wave) => {
      const counts = new Map<string, number>();
      for (const op of wave) counts.set(op, (counts.get(op) ?? 0) + 1);
      return [...counts].map(([op, n]) => (n > 1 ? `${op} ×${n}` : op)).join(' ‖ ');
    })
    .join(' → ');
}

const dynamoWaves = (waves: string[][]) => waves.filter((wave) => wave.some(isDynamo)).length;

/** Round trips from timing: what doubling the delay added, in delays. */
const timedRoundTrips = (op: TimedOperation, doubled: TimedOperation | undefined, delayMs: number) =>
  doubled ? (median(doubled.elapsedMs) - median(op.elapsedMs)) / delayMs : Number.NaN;

function render(r: RoundTripResults) {
  const rows = (ops: TimedOperation[], doubledOps: TimedOperation[] | undefined) =>
    ops.map((op) => {
      const doubled = doubledOps?.find((b) => b.id === op.id);
      return [
        op.label,
        `${fmt(median(op.elapsedMs))} ms`,
        fmt(median(op.elapsedMs) / r.delayMs, 2),
        doubled ? `${fmt(median(doubled.elapsedMs))} ms` : '—',
        fmt(timedRoundTrips(op, doubled, r.delayMs), 2),
        String(op.waves.length),
        String(dynamoWaves(op.waves)),
        describeWaves(op.waves) || '—',
      ];
    });
  const headers = [
    'Operation',
    `Median, ${r.delayMs} ms delay`,
    `In units of ${r.delayMs} ms`,
    `Median, ${2 * r.delayMs} ms delay`,
    `Round trips by timing (difference ÷ ${r.delayMs} ms)`,
    'Sequential calls (proxy log)',
    'of which DynamoDB',
    'Calls, wave by wave (‖ = side by side)',
  ];
  const align = ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'] as const;

  // The proxy log decides (it is exact); timing corroborates it, with this machine's noise.
  const check = (ops: TimedOperation[] | undefined, doubled: TimedOperation[] | undefined) => {
    const message = ops?.find((op) => op.id === 'messageVisitor');
    if (!message) return undefined;
    const trips = timedRoundTrips(
      message,
      doubled?.find((b) => b.id === message.id),
      r.delayMs,
    );
    const dynamo = dynamoWaves(message.waves);
    const lastIsPost = message.waves.at(-1)?.includes('PostToConnection') ?? false;
    return {
      met: dynamo <= 2 && lastIsPost,
      trips,
      dynamo,
      calls: message.waves.length,
      units: median(message.elapsedMs) / r.delayMs,
    };
  };
  const inProcess = check(r.inProcess, r.inProcessDouble)!;
  const local = check(r.localStack, r.localStackDouble);
  const met = inProcess.met && (local?.met ?? true);
  const summary = (c: NonNullable<typeof inProcess>) =>
    `${c.calls} sequential calls, ${c.dynamo} of them DynamoDB, the post last; ${fmt(c.units, 2)} × ${r.delayMs} ms send to receive; ` +
    `${fmt(c.trips, 2)} round trips by timing`;

  const md: string[] = [];
  md.push(
    `A fixed ${r.delayMs} ms is added in front of every DynamoDB call and every management API call (${code('bench/delay-proxy.ts')}: ` +
      `an HTTP proxy that holds each request ${r.delayMs} ms, then forwards it). "In units of ${r.delayMs} ms" is the median time divided by ` +
      `the delay: it includes the code's own time and this machine's (dynalite, the gateway, Node on 2 cores). To take that out, every ` +
      `operation also runs with twice the delay: the difference divided by ${r.delayMs} ms counts the delays on the critical path. ` +
      `The exact count comes from the proxies' log of every call: "Sequential calls" is the longest chain of calls each starting after ` +
      `the previous one ended, and the last column shows that chain. Median of ${REPS} runs after one warm-up round; the timing ` +
      `columns wobble by a few tenths of a round trip between runs on this machine, the proxy log does not.`,
    '',
    `Target: a chat message reaches the other side after at most 2 sequential DynamoDB round trips plus the post — ` +
      `${mark(met)} ${met ? 'met' : 'missed'}. In process: ${summary(inProcess)}` +
      (local ? `. Local stack: ${summary(local)}.` : '.'),
    '',
    '### Local stack: real sockets and HTTP',
    '',
  );
  if (r.localStack) {
    md.push(
      `${code('startLocalStack()')} in a child process (the deployed bundles from ${code('cdk.out')}, dynalite), with DynamoDB behind one delay ` +
        `proxy (${code('dynamodb: { endpoint }')}) and the management API behind another (${code(`environment: { ${envName('wsCallbackUrl')} }`)}: the functions ` +
        `post to the proxy, which forwards to the stack's own ${code('@connections')}). The stubs of EventBridge and Secrets Manager are not delayed ` +
        `(the stack serves them at its own URL); PutEvents runs beside the posts, so this changes nothing before the other side receives. ` +
        `Clients talk to the stack directly on 127.0.0.1. Send to receive is measured from ${code('ws.send')} to the frame's arrival on the other socket; ` +
        `the last wave of a message holds the posts (to the other socket and the sender's echo).`,
      '',
      table(headers, rows(r.localStack, r.localStackDouble), align),
      '',
    );
  } else {
    md.push(`**Not measured in this run**: ${r.localStackError ?? 'unknown reason'}`, '');
  }
  md.push(
    '### In process: the same use cases without the gateway',
    '',
    `The domain use cases (${code('handleFrame')}, ${code('connect')}, ${code('startChat')}, ...) called directly with the real ` +
      `${code('DynamoChatStore')} pointed at the delay proxy (dynalite behind it), a ${code('ConnectionGateway')} whose ${code('send()')} ` +
      `waits the delay, and an EventBridge publisher that waits the delay. Owner tokens are checked by a fake ` +
      `(a warm Lambda verifies the JWT in memory). Send to receive ends when the post to the other connection completes.`,
    '',
    table(headers, rows(r.inProcess, r.inProcessDouble), align),
  );
  return {
    markdown: md.join('\n'),
    targets: [
      {
        name: 'A chat message reaches the other side after ≤ 2 sequential DynamoDB round trips plus the post',
        met,
        detail:
          `${inProcess.dynamo} DynamoDB wave(s) (UpdateItem on the connection; then the message put, the room touch and both connection queries side by side), ` +
          `then PostToConnection, in process` +
          (local ? ' and on the local stack' : ' (local stack not measured)') +
          `; send to receive ${fmt(inProcess.units, 2)}` +
          (local ? ` / ${fmt(local.units, 2)}` : '') +
          ` × ${r.delayMs} ms`,
      },
    ],
    rerun: 'npm run bench -- --only=roundtrips',
  };
}
