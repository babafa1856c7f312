import { handshakeCredentials } from '../../lambdas/handlers/ws/connect.route.js';
import { bearerCredential } from '../../lambdas/handlers/http/parse.js';
import { parseFrame } from '../../lambdas/handlers/ws/frames.js';
import { SETTINGS } from '../../lambdas/config/settings-contract.js';
import { randomUUID } from 'node:crypto';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  PutCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoChatStore } from '../../lambdas/adapters/dynamo-chat-store.js';
import { ItemCodec, keys } from '../../lambdas/adapters/item-codec.js';
import { JwtOwnerVerifier } from '../../lambdas/adapters/jwt-owner-verifier.js';
import { connect, disconnect } from '../../lambdas/domain/connections.js';
import { systemClock } from '../../lambdas/domain/deps.js';
import { handleFrame } from '../../lambdas/domain/messages.js';
import { getHistory, listRooms } from '../../lambdas/domain/rooms.js';
import { startChat } from '../../lambdas/domain/start-chat.js';
import { hashVisitorToken } from '../../lambdas/domain/visitor-token.js';
import { loggerFor } from '../../lambdas/shared/logger.js';
import { createTableInput, ensureTables } from '../../local/dynamodb.js';
import { startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { messageFunction, readAssembly } from '../lib/assembly.js';
import { attachCapacityMeter, type Reading } from '../lib/capacity-meter.js';
import { ownerToken } from '../lib/chat-client.js';
import { documentClient, REGION } from '../lib/dynamodb.js';
import { connectionIdLike, RecordingGateway, silentLogger, uncountedMetrics, tokenIsOwnerId } from '../lib/fakes.js';
import { code, mark, table } from '../lib/markdown.js';
import { lineChartSvg, reportChart } from '../lib/svg-chart.js';
import type { Section, SectionContext } from '../lib/section.js';
import { storeOptionsFromTemplate } from '../lib/store-options.js';
import { fmt } from '../lib/stats.js';

/** Unrelated rooms (each with one connected visitor) in the table when the probes run. */
const SIZES = [10, 100, 1_000, 10_000];
const ROOMS_PER_UNRELATED_OWNER = 5;
const MESSAGES_PER_UNRELATED_ROOM = 2;
/** The probe owner's rooms (room list) and the probe room's messages (history). */
const PROBE_OWNER_ROOMS = 5;
const PROBE_HISTORY_MESSAGES = 20;
const MESSAGE = "Salom! Mashinangiz yo'lni to'sib qo'yibdi, iltimos chiqib bering.";
const TABLE = 'CarChatBench';
/** The aws-samples app's table: one item per connection, key connectionId. */
const SAMPLE_TABLE = 'SampleConnections';

export interface OperationCost {
  rcu: number;
  wcu: number;
  calls: Record<string, number>;
  conditionFailures: number;
  /** Posts to the management API (for messages). */
  posts: number;
}

export interface CapacityResults {
  sizes: number[];
  /** operation → one cost per size */
  operations: Record<string, OperationCost[]>;
  sample: { broadcastRcu: number[]; posts: number[]; connectWcu: number[]; disconnectWcu: number[] };
  flat: Record<string, boolean>;
  engine: string;
  cpu: CpuResults;
  /** A message's store calls, each measured alone: RCU / WCU per call. */
  parts: Record<string, { rcu: number; wcu: number }>;
}

export interface CpuResults {
  /** CPU milliseconds of this process per operation (domain code, SDK, JWT check), by operation id. */
  msPerOperation: Record<string, number>;
  /** Bytes the message handler logs per message at the deployed level (INFO). */
  messageLogBytes: number;
  runs: number;
}

const OPERATIONS = [
  ['start', 'Start chat (`POST /api/chat/start/`)'],
  ['connectVisitor', '$connect, visitor (`?visitor=`)'],
  ['connectOwner', '$connect, owner (`?token=`)'],
  ['connectInbox', '$connect, owner inbox (`?inbox=1`)'],
  ['message2', 'Message, room with 2 connections'],
  ['message10', 'Message, room with 10 connections'],
  ['read', 'Read receipt (`{"type": "read"}`), owner, room with 2 connections'],
  ['typing', 'Typing (`{"type": "typing"}`), room with 2 connections'],
  ['disconnect', '$disconnect'],
  ['listRooms', `Room list (owner with ${PROBE_OWNER_ROOMS} rooms)`],
  ['history', `History (room with ${PROBE_HISTORY_MESSAGES} messages)`],
] as const;
type OperationId = (typeof OPERATIONS)[number][0];

export const capacitySection: Section = {
  id: 'capacity',
  title: 'Capacity units per operation, and how they scale with the table',
  async run(ctx: SectionContext) {
    const assembly = readAssembly();
    const messageFn = messageFunction(assembly);
    const storeOptions = storeOptionsFromTemplate(messageFn.environment, TABLE);

    ctx.log('capacity: starting DynamoDB Local (Java) in memory');
    const ddb = await startDynamoDbLocal();
    const seedClient = documentClient(ddb.endpoint);
    const measuredClient = documentClient(ddb.endpoint);
    const sampleClient = documentClient(ddb.endpoint);
    try {
      await ensureTables(ddb.endpoint, REGION, [
        { input: createTableInput(assembly.table, TABLE) },
        {
          input: {
            TableName: SAMPLE_TABLE,
            KeySchema: [{ AttributeName: 'connectionId', KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: 'connectionId', AttributeType: 'S' }],
            BillingMode: 'PAY_PER_REQUEST',
          },
        },
      ]);
      const meter = attachCapacityMeter(measuredClient);
      const sampleMeter = attachCapacityMeter(sampleClient);
      const store = new DynamoChatStore({ ...storeOptions, client: measuredClient });
      const gateway = new RecordingGateway();

      const operations = Object.fromEntries(OPERATIONS.map(([id]) => [id, [] as OperationCost[]])) as Record<
        OperationId,
        OperationCost[]
      >;
      const sample = {
        broadcastRcu: [] as number[],
        posts: [] as number[],
        connectWcu: [] as number[],
        disconnectWcu: [] as number[],
      };
      let seeded = 0;
      for (const size of SIZES) {
        const t0 = Date.now();
        await seedUnrelated(seedClient, seeded, size);
        seeded = size;
        ctx.log(
          `capacity: table holds ${size} unrelated rooms and connections (seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s); probing`,
        );

        const measure = async (id: OperationId, action: () => Promise<unknown>) => {
          meter.reset();
          gateway.reset();
          await action();
          operations[id].push(costOf(meter.read(), gateway.posts.length));
        };
        const probe = await createProbe(store);
        const deps = {
          store,
          gateway,
          verifier: tokenIsOwnerId,
          clock: systemClock,
          logger: silentLogger,
          metrics: uncountedMetrics,
          socketsPerRoomMember: BENCH_SOCKETS_PER_MEMBER,
        };
        const messageDeps = {
          ...deps,
          maxMessageLength: storeOptions.maxMessageLength,
          maxMessagesPerRoom: storeOptions.maxMessagesPerRoom,
          events: undefined,
        };
        let connectionSeq = size * 10;
        const nextConnection = () => connectionIdLike((connectionSeq += 1), 'p');
        const connectTo = async (roomId: string, query: Record<string, string>) => {
          const connectionId = nextConnection();
          await connect(deps, {
            connectionId,
            credentials: handshakeCredentials({ room: roomId, ...query }),
            connectedAtMs: Date.now(),
          });
          return connectionId;
        };

        await measure('listRooms', () => listRooms(deps, bearerCredential(`Bearer ${probe.ownerId}`)));
        await measure('history', () =>
          getHistory(deps, probe.historyRoom.id, { visitorToken: probe.historyRoom.token }, {}),
        );
        let visitor2 = '';
        await measure('connectVisitor', async () => {
          visitor2 = await connectTo(probe.room2.id, { visitor: probe.room2.token });
        });
        let owner2 = '';
        await measure('connectOwner', async () => {
          owner2 = await connectTo(probe.room2.id, { token: probe.ownerId });
        });
        await measure('connectInbox', () =>
          connect(deps, {
            connectionId: nextConnection(),
            credentials: handshakeCredentials({ inbox: '1', token: probe.otherOwnerId }),
            connectedAtMs: Date.now(),
          }),
        );
        const visitor10 = await connectTo(probe.room10.id, { visitor: probe.room10.token });
        for (let i = 0; i < 9; i += 1) {
          await connectTo(probe.room10.id, i % 2 === 0 ? { token: probe.ownerId } : { visitor: probe.room10.token });
        }
        await measure('message2', () =>
          handleFrame(messageDeps, {
            connectionId: visitor2,
            frame: parseFrame(JSON.stringify({ message: MESSAGE })),
            arrivedAtMs: Date.now(),
          }),
        );
        const [newest] = (await store.listMessages(probe.room2.id, { limit: 1 })).messages;
        await measure('read', () =>
          handleFrame(messageDeps, {
            connectionId: owner2,
            frame: parseFrame(JSON.stringify({ type: 'read', message_id: newest!.id })),
            arrivedAtMs: Date.now(),
          }),
        );
        await measure('typing', () =>
          handleFrame(messageDeps, {
            connectionId: visitor2,
            frame: parseFrame(JSON.stringify({ type: 'typing' })),
            arrivedAtMs: Date.now(),
          }),
        );
        await measure('message10', () =>
          handleFrame(messageDeps, {
            connectionId: visitor10,
            frame: parseFrame(JSON.stringify({ message: MESSAGE })),
            arrivedAtMs: Date.now(),
          }),
        );
        await measure('disconnect', () => disconnect(deps, visitor2));
        await measure('start', () =>
          startChat(
            { ...deps, wsUrlFor: (roomId) => `wss://example/ws/chat/${roomId}/` },
            { userId: probe.ownerId, visitorName: 'Bench', sourceIp: `198.51.100.${size % 250}` },
          ),
        );

        // The aws-samples broadcast: Scan every connection id, post to each.
        sampleMeter.reset();
        const scanned = await sampleClient.send(
          new ScanCommand({ TableName: SAMPLE_TABLE, ProjectionExpression: 'connectionId' }),
        );
        sample.broadcastRcu.push(sampleMeter.read().rcu);
        sample.posts.push(scanned.Items?.length ?? 0);
        sampleMeter.reset();
        const probeConnection = connectionIdLike(size, 's');
        await sampleClient.send(new PutCommand({ TableName: SAMPLE_TABLE, Item: { connectionId: probeConnection } }));
        sample.connectWcu.push(sampleMeter.read().wcu);
        sampleMeter.reset();
        await sampleClient.send(new DeleteCommand({ TableName: SAMPLE_TABLE, Key: { connectionId: probeConnection } }));
        sample.disconnectWcu.push(sampleMeter.read().wcu);
      }

      const parts = await measureMessageParts(store, measuredClient, meter);
      ctx.log('capacity: CPU time of the use cases (the SDK included; DynamoDB Local runs in its own process)');
      const cpu = await measureCpu(store, storeOptions.maxMessageLength, storeOptions.maxMessagesPerRoom);

      const flat = Object.fromEntries(
        Object.entries(operations).map(([id, costs]) => [
          id,
          costs.every((c) => c.rcu === costs[0]!.rcu && c.wcu === costs[0]!.wcu && c.posts === costs[0]!.posts),
        ]),
      );
      const results: CapacityResults = { sizes: SIZES, operations, sample, flat, engine: ddb.description, cpu, parts };
      ctx.results.capacity = results;
      return render(results);
    } finally {
      seedClient.destroy();
      measuredClient.destroy();
      sampleClient.destroy();
      await ddb.stop();
    }
  },
};

/** Each store call of a message on its own, in a room of 2, to show where the units go. */
async function measureMessageParts(
  store: DynamoChatStore,
  client: DynamoDBDocumentClient,
  meter: ReturnType<typeof attachCapacityMeter>,
) {
  const probe = await createProbe(store);
  const deps = {
    store,
    gateway: new RecordingGateway(),
    verifier: tokenIsOwnerId,
    logger: silentLogger,
    metrics: uncountedMetrics,
    socketsPerRoomMember: BENCH_SOCKETS_PER_MEMBER,
  };
  const visitor = connectionIdLike(1, 'mp');
  await connect(deps, {
    connectionId: visitor,
    credentials: handshakeCredentials({ room: probe.room2.id, visitor: probe.room2.token }),
    connectedAtMs: Date.now(),
  });
  await connect(deps, {
    connectionId: connectionIdLike(2, 'mp'),
    credentials: handshakeCredentials({ room: probe.room2.id, token: probe.ownerId }),
    connectedAtMs: Date.now(),
  });
  const at = new Date().toISOString();
  const parts: Record<string, { rcu: number; wcu: number }> = {};
  const part = async (name: string, action: () => Promise<unknown>) => {
    meter.reset();
    await action();
    const { rcu, wcu } = meter.read();
    parts[name] = { rcu, wcu };
  };
  await part('admitFrame (UpdateItem on the connection)', () => store.admitFrame(visitor, Date.now()));
  await part('putMessage (PutItem)', () =>
    store.putMessage({
      id: randomUUID(),
      roomId: probe.room2.id,
      senderType: 'visitor',
      content: MESSAGE,
      createdAt: at,
    }),
  );
  const touched = {
    id: randomUUID(),
    roomId: probe.room2.id,
    senderType: 'visitor',
    content: MESSAGE,
    createdAt: at,
  } as const;
  await part('touchRoom (UpdateItem on the room)', () => store.touchRoom(touched, SETTINGS.maxMessagesPerRoom.default));
  await part('listRoomConnections (Query)', () => store.listRoomConnections(probe.room2.id));
  await part('listInboxConnections (Query)', () => store.listInboxConnections(probe.ownerId));
  // The owner reads the room's newest message (the one touchRoom just counted): the usual, one-write path.
  await part('markRead (UpdateItem on the room: a read receipt)', () =>
    store.markRead(touched, 'owner', new Date().toISOString()),
  );
  // What a keys-only owner index would add to the room list: each room read by key.
  for (const room of [probe.historyRoom, probe.room10]) {
    await store.touchRoom(
      {
        id: randomUUID(),
        roomId: room.id,
        senderType: 'visitor',
        content: MESSAGE,
        createdAt: new Date().toISOString(),
      },
      SETTINGS.maxMessagesPerRoom.default,
    );
  }
  await part(
    `keys-only owner index alternative: BatchGetItem of the owner's ${PROBE_OWNER_ROOMS} rooms (the room list's extra read)`,
    () =>
      client.send(
        new BatchGetCommand({
          RequestItems: { [TABLE]: { Keys: probe.rooms.map((room) => keys.room(room.id)) } },
        }),
      ),
  );
  return parts;
}

const CPU_RUNS = 120;
/** The CPU runs connect one member many times to one room; the cap is not what is measured. */
const BENCH_SOCKETS_PER_MEMBER = 1_000_000;

/**
 * CPU time per operation on this machine: the use case, the store and the SDK marshalling
 * and signing, measured with process.cpuUsage() over many runs (DynamoDB Local is another
 * process). Owner tokens go through the real JwtOwnerVerifier (HS256) with a fake Secrets
 * Manager client. Also: the bytes the message handler logs, captured from stdout.
 */
async function measureCpu(
  store: DynamoChatStore,
  maxMessageLength: number,
  maxMessagesPerRoom: number,
): Promise<CpuResults> {
  const secret = `bench-${randomUUID()}`;
  const secrets = { send: async () => ({ SecretString: secret }) } as unknown as SecretsManagerClient;
  const verifier = new JwtOwnerVerifier({
    keySource: {
      kind: 'secret',
      secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
      client: secrets,
    },
    ownerClaim: 'user_id',
  });
  const gateway = new RecordingGateway();
  const deps = {
    store,
    gateway,
    verifier,
    clock: systemClock,
    logger: silentLogger,
    metrics: uncountedMetrics,
    socketsPerRoomMember: BENCH_SOCKETS_PER_MEMBER,
  };
  const messageDeps = { ...deps, maxMessageLength, maxMessagesPerRoom, events: undefined };
  const probe = await createProbe(store);
  const token = await ownerToken(probe.ownerId, secret);

  const rooms: { visitor: string; owner: string }[] = [];
  for (let i = 0; i < CPU_RUNS / 2; i += 1) {
    const room = { id: randomUUID(), token: randomUUID() };
    const at = new Date().toISOString();
    await store.createRoom({
      id: room.id,
      ownerId: probe.ownerId,
      visitorName: '',
      isActive: true,
      createdAt: at,
      updatedAt: at,
      visitorTokenHash: hashVisitorToken(room.token),
    });
    const visitor = connectionIdLike(i, 'cv');
    const owner = connectionIdLike(i, 'co');
    await connect(deps, {
      connectionId: visitor,
      credentials: handshakeCredentials({ room: room.id, visitor: room.token }),
      connectedAtMs: Date.now(),
    });
    await connect(deps, {
      connectionId: owner,
      credentials: handshakeCredentials({ room: room.id, token }),
      connectedAtMs: Date.now(),
    });
    rooms.push({ visitor, owner });
  }
  const cpuOf = async (action: (i: number) => Promise<unknown>) => {
    await action(-1); // warm
    const before = process.cpuUsage();
    for (let i = 0; i < CPU_RUNS; i += 1) await action(i);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000 / CPU_RUNS;
  };
  // One owner per start: the per-owner hourly start limit (30) would refuse the runs after it.
  const startOwners = Array.from({ length: CPU_RUNS + 1 }, () => randomUUID());
  const msPerOperation: Record<string, number> = {
    // Each connection sends once, far below the per-connection rate limit.
    message2: await cpuOf((i) => {
      const room = rooms[(i + CPU_RUNS) % rooms.length]!;
      return handleFrame(messageDeps, {
        connectionId: i < rooms.length ? room.visitor : room.owner,
        frame: parseFrame(JSON.stringify({ message: MESSAGE })),
        arrivedAtMs: Date.now(),
      });
    }),
    listRooms: await cpuOf(() => listRooms(deps, bearerCredential(`Bearer ${token}`))),
    history: await cpuOf(() => getHistory(deps, probe.historyRoom.id, { visitorToken: probe.historyRoom.token }, {})),
    connectVisitor: await cpuOf((i) =>
      connect(deps, {
        connectionId: connectionIdLike(i + 1, 'cx'),
        credentials: handshakeCredentials({ room: probe.room2.id, visitor: probe.room2.token }),
        connectedAtMs: Date.now(),
      }),
    ),
    disconnect: await cpuOf((i) => disconnect(deps, connectionIdLike(i + 1, 'cx'))),
    start: await cpuOf((i) =>
      startChat(
        { ...deps, wsUrlFor: (roomId) => `wss://example/ws/chat/${roomId}/` },
        { userId: startOwners[i + 1]!, visitorName: undefined, sourceIp: `10.${(i + 1) >> 8}.${(i + 1) & 255}.1` },
      ),
    ),
  };

  // The log lines of one message, at the level the template sets (INFO), as Lambda would ship them.
  const room = rooms[0]!;
  const logger = loggerFor({ requestId: randomUUID(), connectionId: room.visitor, route: '$default' });
  let logBytes = 0;
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    logBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return true;
  }) as typeof process.stdout.write;
  try {
    await handleFrame(
      { ...messageDeps, logger },
      { connectionId: room.visitor, frame: parseFrame(JSON.stringify({ message: MESSAGE })), arrivedAtMs: Date.now() },
    );
  } finally {
    process.stdout.write = write;
  }
  return { msPerOperation, messageLogBytes: logBytes, runs: CPU_RUNS };
}

const costOf = (reading: Reading, posts: number): OperationCost => ({
  rcu: reading.rcu,
  wcu: reading.wcu,
  calls: reading.calls,
  conditionFailures: Object.values(reading.conditionFailures).reduce((a, b) => a + b, 0),
  posts,
});

interface ProbeRoom {
  id: string;
  token: string;
}

/** Fresh rooms for one round of probes, so every round touches data of the same shape. */
async function createProbe(store: DynamoChatStore) {
  const ownerId = randomUUID();
  const otherOwnerId = randomUUID();
  const base = Date.now();
  const room = async (offsetMs: number): Promise<ProbeRoom> => {
    const token = randomUUID();
    const at = new Date(base - 60_000 + offsetMs).toISOString();
    const id = randomUUID();
    await store.createRoom({
      id,
      ownerId,
      visitorName: 'Probe',
      isActive: true,
      createdAt: at,
      updatedAt: at,
      visitorTokenHash: hashVisitorToken(token),
    });
    return { id, token };
  };
  const rooms: ProbeRoom[] = [];
  for (let i = 0; i < PROBE_OWNER_ROOMS; i += 1) rooms.push(await room(i));
  const [historyRoom, room2, room10] = rooms as [ProbeRoom, ProbeRoom, ProbeRoom];
  for (let i = 0; i < PROBE_HISTORY_MESSAGES; i += 1) {
    await store.putMessage({
      id: randomUUID(),
      roomId: historyRoom.id,
      senderType: i % 2 ? 'owner' : 'visitor',
      content: MESSAGE,
      createdAt: new Date(base - 30_000 + i).toISOString(),
    });
  }
  return { ownerId, otherOwnerId, historyRoom, room2, room10, rooms };
}

/** Unrelated rooms [from, to): their owners, a connected visitor each, a few messages; and the sample's connections. */
async function seedUnrelated(client: DynamoDBDocumentClient, from: number, to: number): Promise<void> {
  // Items as the store writes them; connections expire, rooms and messages are kept.
  const codec = new ItemCodec({ connectionSeconds: 3 * 3600 });
  const items: { table: string; item: Record<string, unknown> }[] = [];
  const createdAt = new Date(Date.now() - 3_600_000).toISOString();
  for (let i = from; i < to; i += 1) {
    const roomId = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    const ownerId = `00000000-0000-4000-9000-${Math.floor(i / ROOMS_PER_UNRELATED_OWNER)
      .toString(16)
      .padStart(12, '0')}`;
    const connectionId = connectionIdLike(i, 'u');
    items.push({
      table: TABLE,
      item: codec.room({
        id: roomId,
        ownerId,
        visitorName: 'Visitor',
        isActive: true,
        createdAt,
        updatedAt: createdAt,
        visitorTokenHash: hashVisitorToken(roomId),
      }),
    });
    const rows = codec.connection(
      { connectionId, identity: { kind: 'room', roomId, ownerId, role: 'visitor' } },
      Date.now(),
    );
    items.push({ table: TABLE, item: rows.connection }, { table: TABLE, item: rows.membership });
    for (let m = 0; m < MESSAGES_PER_UNRELATED_ROOM; m += 1) {
      items.push({
        table: TABLE,
        item: codec.message({
          id: randomUUID(),
          roomId,
          senderType: m % 2 ? 'owner' : 'visitor',
          content: MESSAGE,
          createdAt,
        }),
      });
    }
    items.push({ table: SAMPLE_TABLE, item: { connectionId } });
  }
  const batches: (typeof items)[] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      let request: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> = {};
      for (const { table: name, item } of batch) (request[name] ??= []).push({ PutRequest: { Item: item } });
      for (let attempt = 0; Object.keys(request).length > 0; attempt += 1) {
        if (attempt > 20) throw new Error('BatchWrite kept returning unprocessed items');
        const { UnprocessedItems } = await client.send(new BatchWriteCommand({ RequestItems: request }));
        request = (UnprocessedItems ?? {}) as typeof request;
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
}

const units = (value: number) => fmt(value, value % 1 === 0 ? 0 : 1);
const cell = (c: OperationCost) => `${units(c.rcu)} / ${units(c.wcu)}`;

function render(r: CapacityResults) {
  const sizes = r.sizes.map((s) => s.toLocaleString('en-US'));
  const allFlat = Object.values(r.flat).every(Boolean);
  const md: string[] = [];
  md.push(
    `The real ${code('DynamoChatStore')} and the domain use cases (${code('startChat')}, ${code('connect')}, ${code('handleFrame')}, ` +
      `${code('disconnect')}, ${code('listRooms')}, ${code('getHistory')}) against ${r.engine}, spawned by the bench on a free port, ` +
      `with the table created from the synthesized template. A middleware on the store's document client sets ` +
      `${code("ReturnConsumedCapacity: 'INDEXES'")} on every command and sums the ${code('ConsumedCapacity')} of every response ` +
      `(table and indexes). The management API is a fake that counts posts; owner tokens are checked by a fake (no DynamoDB involved). ` +
      `Before each round of probes the table is grown with ${code('BatchWriteItem')} to N unrelated rooms, each with its owner ` +
      `(${ROOMS_PER_UNRELATED_OWNER} rooms per owner), one connected visitor and ${MESSAGES_PER_UNRELATED_ROOM} messages; each round probes fresh rooms of ` +
      `the same shape. Messages are ${MESSAGE.length} characters.`,
    '',
    `Read / write capacity units per operation (RCU / WCU), as the table grows. ` +
      `Target: independent of table size — ${mark(allFlat)} ${allFlat ? 'every figure is flat' : 'some figures grow'}.`,
    '',
    table(
      ['Operation', ...sizes.map((s) => `${s} rooms`), 'DynamoDB calls', 'Posts', 'Flat'],
      OPERATIONS.map(([id, label]) => {
        const costs = r.operations[id];
        const first = costs[0]!;
        const calls = Object.entries(first.calls)
          .map(([op, n]) => `${n}× ${op}`)
          .join(', ');
        const failures = first.conditionFailures ? ` (+${first.conditionFailures} refused conditional write)` : '';
        return [label, ...costs.map(cell), calls + failures, first.posts, mark(r.flat[id]!)];
      }),
      ['l', ...sizes.map(() => 'r' as const), 'l', 'r', 'l'],
    ),
    '',
    `Where a message's units go (each store call measured alone, RCU / WCU): ${indexBreakdown(r)}.`,
    '',
    '### Against the widely copied AWS sample',
    '',
    `[aws-samples/simple-websockets-chat-app](https://github.com/aws-samples/simple-websockets-chat-app) keeps one item per connection ` +
      `and, for every message, ${code("Scan({ ProjectionExpression: 'connectionId' })")} then posts to every connection it found. ` +
      `Its table was seeded here with the same N connections and scanned the same way (one page, as the sample does; past 1 MB it would ` +
      `silently miss connections). The sample has no rooms, so its "broadcast" reaches everyone; ours reaches the room.`,
    '',
    table(
      [
        'Rooms and connections',
        'Ours: message RCU / WCU (room of 2)',
        'Ours: posts',
        'Sample: message RCU (Scan)',
        'Sample: posts',
        'Sample: connect / disconnect WCU',
      ],
      r.sizes.map((size, i) => [
        size.toLocaleString('en-US'),
        cell(r.operations.message2[i]!),
        r.operations.message2[i]!.posts,
        units(r.sample.broadcastRcu[i]!),
        r.sample.posts[i]!.toLocaleString('en-US'),
        `${units(r.sample.connectWcu[i]!)} / ${units(r.sample.disconnectWcu[i]!)}`,
      ]),
      ['r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    reportChart(
      'capacity-per-message',
      lineChartSvg({
        title: 'Capacity units per message as the table grows',
        xLabel: 'unrelated rooms and connections in the table (log scale)',
        yLabel: 'capacity units per message',
        xLog: true,
        series: [
          {
            name: 'ours, room of 2 (RCU + WCU)',
            points: r.sizes.map((x, i) => ({ x, y: r.operations.message2[i]!.rcu + r.operations.message2[i]!.wcu })),
          },
          {
            name: 'ours, room of 10 (RCU + WCU)',
            points: r.sizes.map((x, i) => ({ x, y: r.operations.message10[i]!.rcu + r.operations.message10[i]!.wcu })),
            dashed: true,
          },
          {
            name: 'aws-samples Scan broadcast (RCU)',
            points: r.sizes.map((x, i) => ({ x, y: r.sample.broadcastRcu[i]! })),
          },
        ],
      }),
      'Capacity per message versus table size, against the Scan-based sample',
    ),
    '',
    notes(r),
    '',
    `**CPU per operation** on this machine (${r.cpu.runs} runs each, ${code('process.cpuUsage()')}; the use case, the store, the SDK's ` +
      `marshalling and signing, and for owner requests the real HS256 JWT check): ` +
      Object.entries(r.cpu.msPerOperation)
        .map(([id, ms]) => `${OPERATIONS.find(([op]) => op === id)?.[1] ?? id}: ${fmt(ms, 2)} ms`)
        .join('; ') +
      `. One message logs ${r.cpu.messageLogBytes} bytes at the deployed level (INFO, Powertools JSON). The cost model uses both.`,
  );
  const failing = OPERATIONS.filter(([id]) => !r.flat[id]).map(([, label]) => label);
  return {
    markdown: md.join('\n'),
    targets: [
      {
        name: 'Capacity per operation independent of table size (10 → 10,000 rooms and connections)',
        met: allFlat,
        detail: allFlat
          ? `all ${OPERATIONS.length} operations consume the same units at every size; every read is a GetItem or a Query on one partition`
          : `grows with the table: ${failing.join('; ')}`,
      },
    ],
    rerun: 'npm run bench -- --only=capacity',
  };
}

function indexBreakdown(r: CapacityResults): string {
  return Object.entries(r.parts)
    .map(([name, c]) => `${name} ${units(c.rcu)} / ${units(c.wcu)}`)
    .join('; ');
}

/** The owner index's projection, measured both ways: what a keys-only index saves per message and adds per room list. */
function keysOnlyNote(r: CapacityResults): string {
  const touch = Object.entries(r.parts).find(([name]) => name.startsWith('touchRoom'))?.[1];
  const batch = Object.entries(r.parts).find(([name]) => name.startsWith('keys-only'))?.[1];
  const list = r.operations.listRooms[0];
  return (
    `- The room update carries the message counts and the preview (${code('last_message')}), so the owner index entry, which projects ` +
    `every attribute, is rewritten with it: ${units(touch?.wcu ?? Number.NaN)} WCU for the room update, 1 of them in ${code('by-owner')}. ` +
    `An index projecting only the keys would save that unit (a message at ${units((r.operations.message2[0]?.wcu ?? Number.NaN) - 1)} WCU) ` +
    `and make the room list read each room by key: ${units(batch?.rcu ?? Number.NaN)} RCU more for ${PROBE_OWNER_ROOMS} rooms ` +
    `(0.5 per room, eventually consistent) on top of its ${units(list?.rcu ?? Number.NaN)} RCU, and one more sequential round trip. ` +
    `Kept: the full projection (see the README's data model for why).`
  );
}

function notes(r: CapacityResults): string {
  const msg = r.operations.message2[0]!;
  return [
    '**Reading the figures**',
    '',
    `- Writes to an item that carries index keys also write the index: a room item costs 1 WCU in the table and 1 in ${code('by-owner')}; ` +
      `a message 1 in the table and 1 in ${code('by-time')}. Every message moves its room's ${code('updated_at')} (so the owner's list ` +
      `is ordered by activity); ${code('by-owner')} is keyed by creation time, which never changes, so the touch rewrites the index ` +
      `entry in place: 1 WCU in the table and 1 in the index (a sort key on ${code('updated_at')} would make it a delete plus a put, 3 WCU).`,
    `- A message costs ${units(msg.rcu)} RCU and ${units(msg.wcu)} WCU whatever the table holds; only the number of connections in the room ` +
      `(strongly consistent Query of the room's partition, 1 RCU per 4 KB) and of the owner's inbox sockets can change the reads.`,
    keysOnlyNote(r),
    `- A refused conditional write (a room touch that lost a race, a duplicate ${code('client_id')}) is billed by AWS like the write, ` +
      `yet DynamoDB returns no ${code('ConsumedCapacity')} with the error; the "DynamoDB calls" column counts those separately.`,
    `- DynamoDB Local reports 0 units for a Query that finds nothing (the owner's inbox Query in a start and in a message, when the ` +
      `owner has no inbox socket). If AWS bills a minimum read for it, add 1 RRU to each ($0.125 per million).`,
    `- The sample's Scan reads every connection item of the table (eventually consistent: 0.5 RCU per 4 KB) for every message, ` +
      `and posts to every connection: its cost per message grows linearly with the number of connected users.`,
  ].join('\n');
}
