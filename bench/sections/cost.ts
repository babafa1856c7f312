import { messageFunction, readAssembly } from '../lib/assembly.js';
import { code, table } from '../lib/markdown.js';
import { ASSUMED, PRICES, PRICES_AS_OF } from '../lib/prices.js';
import type { Template } from '../../local/cloud-assembly.js';
import type { Section, SectionContext } from '../lib/section.js';
import type { CapacityResults, OperationCost } from './capacity.js';
import type { RoundTripResults, TimedOperation } from './roundtrips.js';

/** What one chat session is assumed to look like, to spread its fixed costs over its messages. */
const SESSION = { messages: 10, minutes: 5, sockets: 2, historyFetches: 2 };
/** Polling intervals docs/api.md suggests for the owner app. */
const POLL_SECONDS = [3, 5];
/** The owner's inbox socket as the alternative: pinged within API Gateway's 10-minute idle timeout. */
const INBOX = { pingEveryMinutes: 9, reconnectEveryHours: 2 };

interface LineItem {
  item: string;
  quantity: number;
  unit: string;
  pricePerMillion: number;
  note?: string;
}

/** What the cost section hands on: the price of a million messages, in US dollars. */
export interface CostResults {
  hotPathPerMillion: number;
  withSessionsPerMillion: number;
}

export const costSection: Section = {
  id: 'cost',
  title: 'Cost per million chat messages on AWS',
  async run(ctx: SectionContext) {
    const { capacity, roundtrips, load } = ctx.results;
    if (!capacity?.cpu || !roundtrips) {
      throw new Error(
        'the cost model needs the capacity and roundtrips measurements: run them first (npm run bench -- --only=roundtrips,capacity,cost)',
      );
    }
    const assembly = readAssembly();
    const { memoryMb, architecture } = messageFunction(assembly);
    const frontDoor = assembly.cloudAssembly.frontDoor !== undefined;
    const accessLog = accessLogBytes(assembly.cloudAssembly.template);
    const model = new CostModel(capacity, roundtrips, memoryMb);

    // ---- one chat message, hot path -----------------------------------------------------------
    const msg = capacity.operations.message2[0]!;
    const messageMs = model.durationMs('messageVisitor', 'message2');
    const touchWru =
      Object.entries(capacity.parts ?? {}).find(([name]) => name.startsWith('touchRoom'))?.[1].wcu ?? Number.NaN;
    const perMessage: LineItem[] = [
      {
        item: 'API Gateway WebSocket: the frame sent by the client',
        quantity: 1,
        unit: 'message',
        pricePerMillion: PRICES.apiGateway.webSocketPerMillionMessages,
      },
      {
        item: 'API Gateway WebSocket: broadcast frames (other socket + sender echo)',
        quantity: msg.posts,
        unit: 'message',
        pricePerMillion: PRICES.apiGateway.webSocketPerMillionMessages,
        note: 'measured posts, room of 2',
      },
      {
        item: 'Lambda request ($default)',
        quantity: 1,
        unit: 'request',
        pricePerMillion: PRICES.lambda.perMillionRequests,
      },
      ...model.duration('Lambda duration ($default)', messageMs, 1),
      {
        item: 'DynamoDB write request units',
        quantity: msg.wcu,
        unit: 'WRU',
        pricePerMillion: PRICES.dynamoDb.perMillionWriteRequestUnits,
        note: 'measured',
      },
      ...model.reads(msg, 'measured'),
      {
        item: 'EventBridge PutEvents (visitor messages only)',
        quantity: 0.5,
        unit: 'event',
        pricePerMillion: PRICES.eventBridge.perMillionEvents,
        note: 'assumes half the messages come from visitors',
      },
      model.logs(
        'CloudWatch Logs: function log + platform lines + WebSocket access log',
        capacity.cpu.messageLogBytes + ASSUMED.platformLogBytesPerInvocation + accessLog.webSocket,
        1,
      ),
    ];

    // ---- the session around the messages ------------------------------------------------------
    const ops = capacity.operations;
    const session: LineItem[] = [
      {
        item: 'Connection minutes',
        quantity: SESSION.sockets * SESSION.minutes,
        unit: 'connection-minute',
        pricePerMillion: PRICES.apiGateway.webSocketPerMillionConnectionMinutes,
      },
      ...(frontDoor
        ? [
            {
              item: 'CloudFront requests (start, history, WebSocket upgrades)',
              quantity: 1 + SESSION.historyFetches + SESSION.sockets,
              unit: 'request',
              pricePerMillion: CLOUDFRONT_PER_MILLION_REQUESTS,
              note: 'front door deployed',
            },
          ]
        : []),
      {
        item: 'HTTP API requests (start, history)',
        quantity: 1 + SESSION.historyFetches,
        unit: 'request',
        pricePerMillion: PRICES.apiGateway.httpPerMillionRequests,
      },
      {
        item: 'Lambda requests (start, $connect ×2, $disconnect ×2, history ×2)',
        quantity: 1 + 2 * SESSION.sockets + SESSION.historyFetches,
        unit: 'request',
        pricePerMillion: PRICES.lambda.perMillionRequests,
      },
      ...model.duration('Lambda duration: start', model.durationMs('start', 'start'), 1),
      ...model.duration(
        'Lambda duration: $connect',
        model.durationMs('connectVisitor', 'connectVisitor'),
        SESSION.sockets,
      ),
      ...model.duration('Lambda duration: $disconnect', model.durationMs('disconnect', 'disconnect'), SESSION.sockets),
      ...model.duration('Lambda duration: history', model.durationMs('history', 'history'), SESSION.historyFetches),
      {
        item: 'DynamoDB write request units',
        quantity: ops.start[0]!.wcu + SESSION.sockets * (ops.connectVisitor[0]!.wcu + ops.disconnect[0]!.wcu),
        unit: 'WRU',
        pricePerMillion: PRICES.dynamoDb.perMillionWriteRequestUnits,
        note: 'measured',
      },
      ...model.reads(
        sumCosts([ops.start[0]!, ops.connectVisitor[0]!, ops.connectVisitor[0]!, ops.history[0]!, ops.history[0]!]),
        'measured',
      ),
      model.logs(
        'CloudWatch Logs (platform lines, access logs)',
        (1 + 2 * SESSION.sockets + SESSION.historyFetches) * ASSUMED.platformLogBytesPerInvocation +
          (1 + SESSION.historyFetches) * accessLog.http +
          2 * SESSION.sockets * accessLog.webSocket,
        1,
      ),
    ];

    const perMillion = (items: LineItem[], divisor = 1) =>
      items.reduce((sum, i) => sum + (i.quantity * i.pricePerMillion) / divisor, 0);
    const hotPath = perMillion(perMessage);
    const sessionShare = perMillion(session, SESSION.messages);

    // ---- owner polling vs the inbox socket, per owner per day ------------------------------------
    const pollMs = model.durationMs('listRooms', 'listRooms');
    const pollItems = (polls: number): LineItem[] => [
      ...(frontDoor
        ? [
            {
              item: 'CloudFront requests',
              quantity: polls,
              unit: 'request',
              pricePerMillion: CLOUDFRONT_PER_MILLION_REQUESTS,
            },
          ]
        : []),
      {
        item: 'HTTP API requests',
        quantity: polls,
        unit: 'request',
        pricePerMillion: PRICES.apiGateway.httpPerMillionRequests,
      },
      { item: 'Lambda requests', quantity: polls, unit: 'request', pricePerMillion: PRICES.lambda.perMillionRequests },
      ...model.duration('Lambda duration', pollMs, polls),
      ...model.reads(scaleCost(ops.listRooms[0]!, polls), 'measured: Query of the owner index, 5 rooms'),
      model.logs(
        'CloudWatch Logs (platform lines, access log)',
        polls * (ASSUMED.platformLogBytesPerInvocation + accessLog.http),
        1,
      ),
    ];
    const pings = (24 * 60) / INBOX.pingEveryMinutes;
    const reconnects = 24 / INBOX.reconnectEveryHours;
    const inboxItems: LineItem[] = [
      {
        item: 'Connection minutes',
        quantity: 24 * 60,
        unit: 'connection-minute',
        pricePerMillion: PRICES.apiGateway.webSocketPerMillionConnectionMinutes,
      },
      {
        item: `Keep-alive pings and pongs (every ${INBOX.pingEveryMinutes} min)`,
        quantity: 2 * pings,
        unit: 'message',
        pricePerMillion: PRICES.apiGateway.webSocketPerMillionMessages,
      },
      {
        item: 'Lambda requests (pings; reconnect every 2 h: $connect + $disconnect)',
        quantity: pings + 2 * reconnects,
        unit: 'request',
        pricePerMillion: PRICES.lambda.perMillionRequests,
      },
      ...model.duration('Lambda duration: pings', model.postOnlyMs(), pings),
      ...model.duration(
        'Lambda duration: reconnects',
        model.durationMs('connectVisitor', 'connectVisitor') + model.durationMs('disconnect', 'disconnect'),
        reconnects,
      ),
      {
        item: 'DynamoDB write request units (reconnects)',
        quantity: reconnects * (ops.connectInbox[0]!.wcu + ops.disconnect[0]!.wcu),
        unit: 'WRU',
        pricePerMillion: PRICES.dynamoDb.perMillionWriteRequestUnits,
        note: 'measured',
      },
      ...(frontDoor
        ? [
            {
              item: 'CloudFront requests (upgrades)',
              quantity: reconnects,
              unit: 'request',
              pricePerMillion: CLOUDFRONT_PER_MILLION_REQUESTS,
            },
          ]
        : []),
    ];
    const perDay = (items: LineItem[]) => perMillion(items) / 1e6;

    const md: string[] = [];
    md.push(
      `Computed, not measured on AWS: the counts come from the sections above (capacity units, posts and CPU time from section 3, ` +
        `sequential calls from section 2; ${code('--only=cost')} reuses their last measurements from ${code('bench/.out/results.json')}), ` +
        `the prices from ${code('bench/lib/prices.ts')} — **${PRICES_AS_OF}**. ` +
        `Functions: ${memoryMb} MB ${architecture} as deployed${frontDoor ? ', behind the CloudFront front door' : ''}. Free tiers are ignored.`,
      '',
      '**Assumptions** (not measurable here):',
      '',
      `- Latency inside AWS, to turn sequential calls into Lambda duration: ${ASSUMED.dynamoDbRoundTripMs} ms per DynamoDB call, ` +
        `${ASSUMED.managementApiPostMs} ms per PostToConnection, ${ASSUMED.eventBridgePutMs} ms per PutEvents (calls side by side count once, at the slowest).`,
      `- CPU: this machine's CPU time per operation (section 3), scaled by ${fmtNumber(PRICES.lambda.fullVcpuMemoryMb / memoryMb, 1)} because a ` +
        `${memoryMb} MB function gets ${memoryMb}/${PRICES.lambda.fullVcpuMemoryMb} of a vCPU; a Graviton core is taken as fast as this one. ` +
        `Billed duration is rounded up to the millisecond. Cold starts are left out.`,
      `- A chat session: ${SESSION.sockets} sockets open ${SESSION.minutes} minutes, ${SESSION.messages} messages, one start, ` +
        `${SESSION.historyFetches} history fetches; half the messages from the visitor (EventBridge).`,
      `- Logs: ${ASSUMED.platformLogBytesPerInvocation} bytes of START/END/REPORT per invocation; access-log lines estimated from the ` +
        `template's formats (${accessLog.webSocket} bytes WebSocket, ${accessLog.http} bytes HTTP). Data transfer and CloudFront ` +
        `data-out for the frames (a few hundred bytes each) are left out.`,
      frontDoor
        ? `- CloudFront: $${CLOUDFRONT_PER_MILLION_REQUESTS.toFixed(2)} per million HTTPS requests (United States price); WebSocket frames are not requests.`
        : '',
      '',
      `### Per million messages: ${usd(hotPath)} on the hot path, ${usd(hotPath + sessionShare)} with the sessions around them`,
      '',
      `Lambda duration of a message: ${messageMs} ms billed (${model.explain('messageVisitor', 'message2')}). ` +
        `Largest items: ${largest(perMessage, hotPath)}. Of the ${msg.wcu} WRU, ${touchWru} are the room touch (moving ${code('updated_at')} rewrites the ` +
        `owner-index entry), and one of the ${msg.posts} broadcast frames is the echo to the sender (the original group-send contract, docs/api.md).`,
      '',
      itemTable(perMessage, 1),
      '',
      `Session overhead, per session (÷ ${SESSION.messages} messages: ${usd(sessionShare)} per million messages):`,
      '',
      itemTable(session, 1, 'Per million sessions'),
      '',
      `### Owner polling (${code('GET /api/chat/rooms/')} every ${POLL_SECONDS.join('–')} s) vs. an inbox socket, per owner`,
      '',
      `Polling costs about ${Math.round(perDay(pollItems((24 * 3600) / 5)) / perDay(inboxItems))}–${Math.round(perDay(pollItems((24 * 3600) / 3)) / perDay(inboxItems))} times ` +
        `what an inbox socket does, and its requests dominate: every poll pays CloudFront, the HTTP API and a Lambda invocation ` +
        `whether or not a room changed. One poll: ${pollMs} ms billed Lambda (${model.explain('listRooms', 'listRooms')}), ${fmtNumber(ops.listRooms[0]!.rcu, 1)} RRU.`,
      '',
      table(
        ['', 'Requests per day', 'Per owner per day', 'Per owner per 30 days', 'Per 1,000 owners per 30 days'],
        [
          ...POLL_SECONDS.map((s) => {
            const polls = (24 * 3600) / s;
            const day = perDay(pollItems(polls));
            return [
              `Polling every ${s} s`,
              polls.toLocaleString('en-US'),
              usd(day, 5),
              usd(day * 30, 4),
              usd(day * 30 * 1000, 2),
            ];
          }),
          (() => {
            const day = perDay(inboxItems);
            return [
              `Inbox socket (${code('?inbox=1')}), pinged every ${INBOX.pingEveryMinutes} min`,
              '—',
              usd(day, 5),
              usd(day * 30, 4),
              usd(day * 30 * 1000, 2),
            ];
          })(),
        ],
        ['l', 'r', 'r', 'r', 'r'],
      ),
      '',
      `Polling at 3 s, item by item, per owner per day:`,
      '',
      itemTable(pollItems((24 * 3600) / 3), 1e6, 'Per day'),
      '',
      load?.steps?.length
        ? `Cross-check: the local stack spent ${fmtNumber(load.steps.filter((s) => s.held).at(-1)?.stackCpuMsPerMessage ?? Number.NaN, 2)} ms of CPU per ` +
            `delivered message at its highest held load (section 4) — gateway, dynalite and the sockets included — against ` +
            `${fmtNumber(capacity.cpu.msPerOperation.message2 ?? Number.NaN, 2)} ms for the message use case alone (section 3).`
        : '',
    );
    ctx.results.cost = { hotPathPerMillion: hotPath, withSessionsPerMillion: hotPath + sessionShare };
    return {
      markdown: md.filter((line, i, all) => line !== '' || all[i - 1] !== '').join('\n'),
      rerun: 'npm run bench -- --only=cost',
    };
  },
};

/** CloudFront HTTPS requests, United States, per million (an assumption like the prices). */
const CLOUDFRONT_PER_MILLION_REQUESTS = 1.0;

class CostModel {
  constructor(
    private readonly capacity: CapacityResults,
    private readonly roundtrips: RoundTripResults,
    private readonly memoryMb: number,
  ) {}

  private op(id: string): TimedOperation {
    const op = this.roundtrips.inProcess.find((o) => o.id === id);
    if (!op) throw new Error(`section 2 has no measurement of ${id}`);
    return op;
  }

  private waitMs(id: string): number {
    return this.op(id).waves.reduce((sum, wave) => sum + Math.max(...wave.map(latencyOf)), 0);
  }

  private cpuMs(cpuId: string): number {
    const cpu = this.capacity.cpu.msPerOperation[cpuId];
    if (cpu === undefined) throw new Error(`section 3 has no CPU measurement of ${cpuId}`);
    return (cpu * ASSUMED.cpuSpeedRatio * PRICES.lambda.fullVcpuMemoryMb) / this.memoryMb;
  }

  /** Billed milliseconds of one invocation: the waits of its sequential calls plus its CPU time. */
  durationMs(timingId: string, cpuId: string): number {
    return Math.ceil(this.waitMs(timingId) + this.cpuMs(cpuId));
  }

  /** A ping: one post back (the pong), CPU taken as a tenth of a message's. */
  postOnlyMs(): number {
    return Math.ceil(ASSUMED.managementApiPostMs + this.cpuMs('message2') / 10);
  }

  explain(timingId: string, cpuId: string): string {
    const waves = this.op(timingId).waves;
    return `${waves.length} sequential call${waves.length === 1 ? '' : 's'} = ${fmtNumber(this.waitMs(timingId), 0)} ms of waiting, plus ${fmtNumber(this.cpuMs(cpuId), 1)} ms of CPU`;
  }

  duration(item: string, ms: number, invocations: number): LineItem[] {
    const gbSeconds = (this.memoryMb / 1024) * (ms / 1000) * invocations;
    return [
      {
        item: `${item}: ${invocations === 1 ? '' : `${fmtNumber(invocations, 0)} × `}${ms} ms at ${this.memoryMb} MB`,
        quantity: gbSeconds,
        unit: 'GB-s',
        pricePerMillion: PRICES.lambda.armGbSecond * 1e6,
      },
    ];
  }

  reads(cost: OperationCost, note: string): LineItem[] {
    return [
      {
        item: 'DynamoDB read request units',
        quantity: cost.rcu,
        unit: 'RRU',
        pricePerMillion: PRICES.dynamoDb.perMillionReadRequestUnits,
        note,
      },
    ];
  }

  logs(item: string, bytes: number, times: number): LineItem {
    return {
      item,
      quantity: bytes * times,
      unit: 'byte',
      pricePerMillion: PRICES.cloudWatchLogs.perGbIngested / 1000,
      note: `$${PRICES.cloudWatchLogs.perGbIngested.toFixed(2)} per GB`,
    };
  }
}

function latencyOf(operation: string): number {
  if (operation === 'PostToConnection' || operation === 'DeleteConnection') return ASSUMED.managementApiPostMs;
  if (operation === 'PutEvents') return ASSUMED.eventBridgePutMs;
  return ASSUMED.dynamoDbRoundTripMs;
}

const sumCosts = (costs: OperationCost[]): OperationCost => ({
  rcu: costs.reduce((s, c) => s + c.rcu, 0),
  wcu: costs.reduce((s, c) => s + c.wcu, 0),
  calls: {},
  conditionFailures: 0,
  posts: 0,
});

const scaleCost = (cost: OperationCost, times: number): OperationCost => ({
  ...cost,
  rcu: cost.rcu * times,
  wcu: cost.wcu * times,
});

/** Bytes of one access-log line: the template's format with typical values in place of $context variables. */
function accessLogBytes(template: Template): { http: number; webSocket: number } {
  const typical: Record<string, string> = {
    requestId: 'Jx9QkF2BoAMEbLw=',
    'identity.sourceIp': '203.0.113.45',
    requestTimeEpoch: '1767225600123',
    httpMethod: 'GET',
    routeKey: 'ANY /api/chat/rooms',
    status: '200',
    responseLatency: '48',
    integrationLatency: '41',
    integrationErrorMessage: '-',
    connectionId: 'L0SM9cOFvHcCIhw=',
    eventType: 'MESSAGE',
    'error.message': '-',
  };
  const sizes: Record<string, number> = {};
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::ApiGatewayV2::Stage') continue;
    const format = (resource.Properties?.AccessLogSettings as { Format?: unknown } | undefined)?.Format;
    if (typeof format !== 'string') continue;
    const line = format.replace(/\$context\.([\w.]+)/g, (_, name: string) => typical[name] ?? 'x'.repeat(16));
    sizes[/Live|WebSocket|Ws/i.test(id) ? 'webSocket' : 'http'] = Buffer.byteLength(line) + 1;
  }
  return { http: sizes.http ?? 0, webSocket: sizes.webSocket ?? 0 };
}

function itemTable(items: LineItem[], divisor: number, costHeader = 'Per million messages'): string {
  return table(
    ['Item', 'Quantity', 'Unit', 'Price per million units', costHeader, 'Note'],
    [
      ...items.map((i) => [
        i.item,
        fmtNumber(i.quantity, i.quantity % 1 === 0 ? 0 : 3),
        i.unit,
        usd(i.pricePerMillion, 4),
        usd((i.quantity * i.pricePerMillion) / divisor, divisor === 1 ? 3 : 5),
        i.note ?? '',
      ]),
      [
        '**Total**',
        '',
        '',
        '',
        `**${usd(
          items.reduce((s, i) => s + (i.quantity * i.pricePerMillion) / divisor, 0),
          divisor === 1 ? 2 : 5,
        )}**`,
        '',
      ],
    ],
    ['l', 'r', 'l', 'r', 'r', 'l'],
  );
}

function largest(items: LineItem[], total: number): string {
  return [...items]
    .map((i) => ({ item: i.item, cost: i.quantity * i.pricePerMillion }))
    .sort((a, b) => b.cost - a.cost)
    .slice(0, 3)
    .map((i) => `${i.item.replace(/ \(.*$/, '')} ${usd(i.cost)} (${Math.round((i.cost / total) * 100)} %)`)
    .join(', ');
}

const usd = (value: number, digits = 2) => `$${value.toFixed(digits)}`;
const fmtNumber = (value: number, digits: number) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';
