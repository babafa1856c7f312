import { randomUUID } from 'node:crypto';
import { DynamoChatStore } from '../../lambdas/adapters/dynamo-chat-store.js';
import { hashVisitorToken } from '../../lambdas/domain/visitor-token.js';
import { freePort } from '../../local/free-port.js';
import { messageFunction, readAssembly } from '../lib/assembly.js';
import { ChatSocket, ownerToken } from '../lib/chat-client.js';
import { documentClient } from '../lib/dynamodb.js';
import { LocalStackProcess } from '../lib/local-stack-process.js';
import { code, mark, table } from '../lib/markdown.js';
import { lineChartSvg, reportChart } from '../lib/svg-chart.js';
import type { Section, SectionContext } from '../lib/section.js';
import { fmt, quantile, sleep } from '../lib/stats.js';
import { storeOptionsFromTemplate } from '../lib/store-options.js';
import { envName } from '../../lambdas/config/settings-contract.js';

/** Rooms, each with a visitor socket and an owner socket. */
const ROOMS = 100;
/** Offered message rates (messages per second, all rooms together), tried in order. */
const RATES = [20, 40, 60, 80, 100, 120, 160, 240, 320];
const STEP_SECONDS = 8;
/** After a step stops sending: wait while deliveries still arrive, up to this long. */
const DRAIN_MAX_MS = 30_000;
/** ...and call a message lost once nothing has arrived for this long. */
const DRAIN_IDLE_MS = 3_000;
/** A step fails when its p99 send-to-receive latency exceeds this. */
const P99_LIMIT_MS = 1_000;

interface Sent {
  step: number;
  room: number;
  fromOwner: boolean;
  at: number;
  /** Arrival times at the other socket of the room, and back at the sender (its echo). */
  other: number[];
  echo: number[];
}

export interface LoadStep {
  offeredPerSecond: number;
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  echoesMissing: number;
  errors: number;
  /** Messages delivered per second, from the first send to the last delivery. */
  sustainedPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** CPU time of the stack process (gateway, functions, dynalite) per delivered message. */
  stackCpuMsPerMessage: number;
  held: boolean;
  why?: string;
}

export interface LoadResults {
  rooms: number;
  stepSeconds: number;
  steps: LoadStep[];
  /** The largest offered rate held without loss, duplicates, errors or p99 over the limit. */
  heldPerSecond?: number;
  connectMs: number;
}

export const loadSection: Section = {
  id: 'load',
  title: 'Load on the local stack',
  async run(ctx: SectionContext) {
    const assembly = readAssembly();
    const messageFn = messageFunction(assembly);
    const limits = storeOptionsFromTemplate(messageFn.environment, 'unused').limits;

    const { host, dynamodbEndpoint } = await LocalStackProcess.launch();
    const sockets: ChatSocket[] = [];
    const client = documentClient(dynamodbEndpoint);
    try {
      const port = await freePort();
      const jwtSecret = `bench-${randomUUID()}`;
      const ready = await host.startStack({ port, host: '127.0.0.1', jwtSecret, logLevel: 'ERROR' });
      const tableName = ready.environment[envName('tableName')];
      if (!tableName) throw new Error(`the local stack reports no ${envName('tableName')} in its environment`);
      const store = new DynamoChatStore({ ...storeOptionsFromTemplate(messageFn.environment, tableName), client });
      const ws = `ws://127.0.0.1:${port}`;

      // Rooms are written straight to the stack's table: the start endpoint allows
      // ${limits.startsPerMinute} starts per minute from one address, and every socket here comes from 127.0.0.1.
      ctx.log(`load: creating ${ROOMS} rooms and opening ${2 * ROOMS} sockets`);
      const rooms: { visitor: ChatSocket; owner: ChatSocket }[] = [];
      const connectStart = performance.now();
      for (let i = 0; i < ROOMS; i += 10) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(10, ROOMS - i) }, async () => {
            const ownerId = randomUUID();
            const visitorToken = randomUUID();
            const id = randomUUID();
            const at = new Date().toISOString();
            await store.createRoom({
              id,
              ownerId,
              visitorName: 'Load',
              isActive: true,
              createdAt: at,
              updatedAt: at,
              visitorTokenHash: hashVisitorToken(visitorToken),
            });
            const visitor = await ChatSocket.open(`${ws}/ws/chat/${id}/?visitor=${visitorToken}`);
            const owner = await ChatSocket.open(`${ws}/ws/chat/${id}/?token=${await ownerToken(ownerId, jwtSecret)}`);
            sockets.push(visitor, owner);
            return { visitor, owner };
          }),
        );
        rooms.push(...batch);
      }
      const connectMs = (performance.now() - connectStart) / (2 * ROOMS);

      const sent = new Map<string, Sent>();
      let errors = 0;
      rooms.forEach((room, index) => {
        for (const [socket, isOwner] of [
          [room.visitor, false],
          [room.owner, true],
        ] as const) {
          socket.onReceive = ({ at, data }) => {
            const text = typeof data.message === 'string' ? data.message : undefined;
            const entry = text ? sent.get(text) : undefined;
            if (!entry) {
              if (data.error || data.message === 'Internal server error') errors += 1;
              return;
            }
            if (entry.room !== index) return;
            (entry.fromOwner === isOwner ? entry.echo : entry.other).push(at);
          };
        }
      });

      const steps: LoadStep[] = [];
      for (const [stepIndex, rate] of RATES.entries()) {
        ctx.log(`load: ${rate} messages/s for ${STEP_SECONDS} s`);
        const errorsBefore = errors;
        const cpuBefore = await host.cpu();
        const texts: string[] = [];
        const start = performance.now();
        let count = 0;
        // A message to room i % ROOMS, from its visitor and its owner in turn, evenly spaced.
        await new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            const due = Math.min(Math.floor(((performance.now() - start) / 1000) * rate), rate * STEP_SECONDS);
            for (; count < due; count += 1) {
              const roomIndex = count % ROOMS;
              const fromOwner = Math.floor(count / ROOMS) % 2 === 1;
              const text = `load ${stepIndex} ${count} ${randomUUID()}`;
              const room = rooms[roomIndex]!;
              const at = (fromOwner ? room.owner : room.visitor).send({ message: text });
              sent.set(text, { step: stepIndex, room: roomIndex, fromOwner, at, other: [], echo: [] });
              texts.push(text);
            }
            if (count >= rate * STEP_SECONDS) {
              clearInterval(timer);
              resolve();
            }
          }, 5);
        });
        const drainStart = performance.now();
        const pending = () =>
          texts.filter((t) => sent.get(t)!.other.length === 0 || sent.get(t)!.echo.length === 0).length;
        let waiting = pending();
        let lastProgress = performance.now();
        while (
          waiting > 0 &&
          performance.now() - drainStart < DRAIN_MAX_MS &&
          performance.now() - lastProgress < DRAIN_IDLE_MS
        ) {
          await sleep(50);
          const now = pending();
          if (now < waiting) lastProgress = performance.now();
          waiting = now;
        }
        await sleep(200); // late duplicates
        const cpuAfter = await host.cpu();
        const entries = texts.map((t) => sent.get(t)!);
        const delivered = entries.filter((e) => e.other.length > 0);
        const latencies = delivered.map((e) => e.other[0]! - e.at);
        const lastDelivery = Math.max(...delivered.map((e) => e.other[0]!));
        const step: LoadStep = {
          offeredPerSecond: rate,
          sent: entries.length,
          delivered: delivered.length,
          lost: entries.length - delivered.length,
          duplicated: entries.filter((e) => e.other.length > 1 || e.echo.length > 1).length,
          echoesMissing: entries.filter((e) => e.echo.length === 0).length,
          errors: errors - errorsBefore,
          sustainedPerSecond: delivered.length / ((lastDelivery - start) / 1000),
          p50: quantile(latencies, 0.5),
          p95: quantile(latencies, 0.95),
          p99: quantile(latencies, 0.99),
          max: Math.max(...latencies),
          stackCpuMsPerMessage:
            (cpuAfter.userMs + cpuAfter.systemMs - cpuBefore.userMs - cpuBefore.systemMs) /
            Math.max(1, delivered.length),
          held: true,
        };
        const problems = [
          step.lost && `${step.lost} lost`,
          step.duplicated && `${step.duplicated} duplicated`,
          step.echoesMissing && `${step.echoesMissing} echoes missing`,
          step.errors && `${step.errors} error frames`,
          step.p99 > P99_LIMIT_MS && `p99 ${fmt(step.p99, 0)} ms > ${P99_LIMIT_MS} ms`,
          step.sustainedPerSecond < 0.9 * rate && `delivered only ${fmt(step.sustainedPerSecond, 0)}/s`,
        ].filter(Boolean);
        step.held = problems.length === 0;
        if (!step.held) step.why = problems.join(', ');
        steps.push(step);
        for (const t of texts) sent.delete(t);
        if (!step.held) break;
      }

      const held = steps.filter((s) => s.held).at(-1)?.offeredPerSecond;
      const results: LoadResults = { rooms: ROOMS, stepSeconds: STEP_SECONDS, steps, heldPerSecond: held, connectMs };
      ctx.results.load = results;
      return render(results, limits.messagesPerSecond, ctx.machine.cores);
    } finally {
      await Promise.all(sockets.map((s) => s.close()));
      client.destroy();
      await host.stop();
    }
  },
};

function render(r: LoadResults, perConnectionLimit: number, cores: number) {
  const last = r.steps.at(-1);
  const topCpu = r.steps.filter((s) => s.held).at(-1)?.stackCpuMsPerMessage ?? Number.NaN;
  const reachedTop = last?.held && last.offeredPerSecond === RATES.at(-1);
  const md: string[] = [];
  md.push(
    `${code('startLocalStack()')} in its own process (the deployed bundles, dynalite in memory, all on 127.0.0.1), ${r.rooms} rooms with a ` +
      `visitor socket and an owner socket each (rooms written to the table directly; ${fmt(r.connectMs, 1)} ms per socket to open, ` +
      `$connect included). The client process sends at a fixed rate, spread evenly over the rooms, each room's visitor and owner in turn ` +
      `(at most ${fmt(RATES.at(-1)! / r.rooms / 2, 1)} messages per second per connection, under the ${perConnectionLimit}/s limit), ` +
      `${r.stepSeconds} s per step, raising the rate (${RATES.join(', ')}/s) until a message is lost, duplicated or refused, p99 exceeds ${P99_LIMIT_MS} ms, ` +
      `or fewer than 90 % of the offered messages per second arrive. After each step the bench waits while deliveries still arrive ` +
      `(up to ${DRAIN_MAX_MS / 1000} s); a message is lost when nothing has arrived for ${DRAIN_IDLE_MS / 1000} s and it still has not. Latency is from ${code('ws.send')} to the broadcast's arrival on the ` +
      `room's other socket; the sender's echo is checked as well. "Stack CPU" is the stack process's user+system CPU per delivered ` +
      `message: gateway, functions and dynalite together, the only figure here that says anything about Lambda duration.`,
    '',
    table(
      [
        'Offered',
        'Sent',
        'Delivered',
        'Sustained',
        'p50',
        'p95',
        'p99',
        'max',
        'Lost / dup. / refused',
        'Stack CPU per message',
        'Held',
      ],
      r.steps.map((s) => [
        `${s.offeredPerSecond}/s`,
        s.sent,
        s.delivered,
        `${fmt(s.sustainedPerSecond, 1)}/s`,
        `${fmt(s.p50, 0)} ms`,
        `${fmt(s.p95, 0)} ms`,
        `${fmt(s.p99, 0)} ms`,
        `${fmt(s.max, 0)} ms`,
        `${s.lost} / ${s.duplicated} / ${s.errors}${s.echoesMissing ? ` (${s.echoesMissing} echoes missing)` : ''}`,
        `${fmt(s.stackCpuMsPerMessage, 2)} ms`,
        s.held ? '✅' : `❌ ${s.why}`,
      ]),
      ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
    reportChart(
      'load-latency',
      lineChartSvg({
        title: 'Send-to-receive latency vs offered load (local stack)',
        xLabel: 'offered messages per second',
        yLabel: 'latency (ms)',
        series: (['p50', 'p95', 'p99'] as const).map((q) => ({
          name: q,
          points: r.steps.map((s) => ({ x: s.offeredPerSecond, y: s[q] })),
        })),
      }),
      'Latency percentiles versus offered message rate',
    ),
    '',
    r.heldPerSecond
      ? `**Largest load held without loss on this machine: ${r.heldPerSecond} messages per second** ` +
          `(${reachedTop ? `the highest step tried; the bench stops there to stay within its time budget` : `the next step, ${r.steps.at(-1)!.offeredPerSecond}/s, failed: ${r.steps.at(-1)!.why}`}). ` +
          `Nothing was lost or duplicated in any step${r.steps.every((s) => s.lost === 0 && s.duplicated === 0) ? ', the failed one included (its messages queued, then arrived)' : ' that held'}. ` +
          `Latency is queueing well before that: p99 ${fmt(r.steps[0]!.p99, 0)} ms at ${r.steps[0]!.offeredPerSecond}/s, ` +
          `${fmt(r.steps.filter((s) => s.held).at(-1)!.p99, 0)} ms at ${r.heldPerSecond}/s. ` +
          `The ceiling is one core: the stack is one Node process, and at ${fmt(topCpu, 1)} ms of CPU per message it can deliver about ` +
          `${fmt(1000 / topCpu, 0)} messages per second. This is the local emulator on ${cores} cores, ` +
          `with every function, the gateway and dynalite sharing one Node process: it measures the code's CPU cost and correctness under ` +
          `concurrency, not what AWS would sustain (there each invocation gets its own Lambda environment).`
      : `${mark(false)} Not even the first step (${RATES[0]}/s) held: ${r.steps[0]?.why ?? 'no step ran'}.`,
  );
  return { markdown: md.join('\n'), rerun: 'npm run bench -- --only=load' };
}
