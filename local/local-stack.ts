import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { loadWsViewerRequest } from '../lib/front-door/ws-viewer-request.js';
import type { PutEventsEntry } from './aws-stubs.js';
import { sendJson } from './http-io.js';
import { readCloudAssembly } from './cloud-assembly.js';
import { ensureTables, startDynamoDb, type DynamoDbMode, type LocalDynamoDb } from './dynamodb.js';
import { LocalStackError } from './errors.js';
import { LocalFrontDoor, splitUrl } from './front-door.js';
import { HttpGateway } from './http-gateway.js';
import { HttpApiCors } from './http-cors.js';
import { LocalFunction } from './lambda-functions.js';
import { LOCAL_ACCOUNT, planLocalStack, type LocalStackPlan } from './local-stack-plan.js';
import { jwtSecretFromEnv } from './owner-token.js';
import { hostCheck, type HostCheck } from './host-check.js';
import { startServicesServer } from './services-server.js';
import { observeResponse, type TrafficObserver } from './traffic-observer.js';
import { ASSEMBLY_DIR, ensureSynthesized, PROJECT_ROOT, synthesizedStackName } from './synth.js';
import { AWS_WEBSOCKET_LIMITS, refuse, WebSocketGateway, type WebSocketLimits } from './websocket-gateway.js';
import { envName } from '../lambdas/config/settings-contract.js';

export interface LocalStackOptions {
  /** 8000 unless given; 0 picks a free port. */
  port?: number;
  /** Interface to listen on; loopback unless given (0.0.0.0 to reach it from a phone). */
  host?: string;
  /** 'disk' (default; survives restarts), 'memory', or another DynamoDB's endpoint. */
  dynamodb?: DynamoDbMode;
  /** Where 'disk' keeps its LevelDB files. */
  dataDir?: string;
  /** HS256 key owner tokens are signed with; JWT_SECRET or the local default otherwise. */
  jwtSecret?: string;
  /** API Gateway's WebSocket quotas, e.g. a short idle timeout for a test. */
  limits?: Partial<WebSocketLimits>;
  /** POWERTOOLS_LOG_LEVEL of the functions; LOG_LEVEL, or WARN, otherwise. */
  logLevel?: string;
  /** Where the gateway's own lines go (requests, PutEvents entries). */
  log?: (line: string) => void;
  /** Synthesize first when the template is stale (default true). */
  synth?: boolean;
  /**
   * Values for variables the template already gives the functions, like `sam local
   * --env-vars`: e.g. a lower ROOM_STARTS_PER_MINUTE_PER_IP for a test. A name no function
   * has is refused, so an override cannot invent configuration the deployment lacks.
   */
  environment?: Record<string, string>;
  /**
   * Test hook, off unless given: while it returns true the EventBridge stub rejects every
   * PutEvents entry (FailedEntryCount), as EventBridge does when it cannot take an event.
   */
  failPutEvents?: () => boolean;
  /**
   * Test hook: each PutEvents entry with its whole detail (the log leaves out the message
   * preview, as every log does), e.g. to check the preview a push would show.
   */
  onPutEvents?: (entry: PutEventsEntry) => void;
  /**
   * The loopback-only server of the AWS stubs and the management API: its port (a free one
   * unless given) and its path secret (a random one unless given; the bench chains a proxy).
   */
  services?: { port?: number; secret?: string };
  assemblyDir?: string;
  /** The stack of the cloud assembly; the one stack `cdk synth` made unless given. */
  stackName?: string;
  /** Test hook: every response written on the client port and every frame sent to a client socket. */
  observe?: TrafficObserver;
}

export interface ServedRoute {
  routeKey: string;
  functionId: string;
  description?: string;
}

export interface LocalStack {
  httpUrl: string;
  wsUrl: string;
  port: number;
  /**
   * `http://127.0.0.1:<port>/<secret>`: where the functions reach Secrets Manager,
   * EventBridge and the management API (`/@connections/{id}` under it). For tests and tools
   * on this machine; it holds a secret, so it is never printed.
   */
  servicesUrl: string;
  jwtSecret: string;
  /** e.g. 'dynalite, in memory (nothing is kept)'. */
  dynamoDb: string;
  dynamoDbEndpoint: string;
  /** What the gateway serves, for the start-up banner and the drift test. */
  served: {
    functions: Record<string, { modulePath: string; exportName: string }>;
    httpRoutes: ServedRoute[];
    webSocketRoutes: ServedRoute[];
    webSocketStage: string;
    tables: Record<string, string>;
    environment: Record<string, string>;
  };
  stop(): Promise<void>;
}

const STARTED = Symbol.for('carchat.local-stack.started');

/**
 * Starts the whole backend in this process, from the synthesized CDK app: DynamoDB, the
 * stubs of Secrets Manager and EventBridge and the management API (on a loopback-only
 * server of their own, see services-server.ts), and both APIs calling the deployed bundles
 * on the client port. What is served is planned from the template first (local-stack-plan.ts,
 * which refuses what it cannot serve before anything starts), then run. The bundles read
 * their configuration when imported and Node caches modules per process, so a process can
 * start one local stack only.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? ((line: string) => console.log(line));
  // Lambda runs Node 24; the SDK's warning about an older local Node is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const assemblyDir = options.assemblyDir ?? ASSEMBLY_DIR;
  if (options.synth ?? true) await ensureSynthesized({ log });
  const stackName = options.stackName ?? synthesizedStackName(assemblyDir);
  const region = process.env.AWS_REGION || 'us-east-1';
  const plan = planLocalStack(readCloudAssembly(assemblyDir, stackName), {
    stackName,
    region,
    stackId: `arn:aws:cloudformation:${region}:${LOCAL_ACCOUNT}:stack/${stackName}/${randomUUID()}`,
    environment: options.environment,
  });
  return runLocalStack(plan, { ...options, log });
}

/** Starts what the plan says: the services server, the client port, DynamoDB, the functions and both gateways. */
async function runLocalStack(
  plan: LocalStackPlan,
  options: LocalStackOptions & { log: (line: string) => void },
): Promise<LocalStack> {
  const { log } = options;
  const { region } = plan;
  if ((globalThis as Record<symbol, unknown>)[STARTED]) {
    throw new LocalStackError(
      'A local stack was already started in this process; the function bundles keep the configuration they were imported with. Start one per process (vitest: one per test file).',
    );
  }
  const jwtSecret = options.jwtSecret ?? jwtSecretFromEnv();

  const cleanup: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    let gateways: { http: HttpGateway; ws: WebSocketGateway } | undefined;
    const secrets = Object.fromEntries(plan.secretArns.map((arn) => [arn, jwtSecret]));
    const services = await startServicesServer({
      stubs: { secrets, log, failPutEvents: options.failPutEvents, onPutEvents: options.onPutEvents },
      webSockets: () => gateways?.ws,
      port: options.services?.port,
      secret: options.services?.secret,
      log,
    });
    cleanup.push(() => services.close());

    // The client port serves the client API and nothing else, to the stack's own names only.
    const listenHost = options.host ?? '127.0.0.1';
    let allowedHost: HostCheck = () => false;
    const server = createServer((req, res) => {
      if (options.observe) observeResponse(req, res, options.observe);
      if (!allowedHost(req.headers.host)) return refuseHost(req, res, log);
      if (!gateways) return sendJson(res, 503, { message: 'Service Unavailable' });
      gateways.http.handle(req, res).catch((error: unknown) => {
        log(`${req.method} ${splitUrl(req.url).path}: ${(error as Error).message}`);
        if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
        else res.destroy();
      });
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!allowedHost(req.headers.host)) {
        log(
          `WS ${splitUrl(req.url).path} refused 403 (Host ${JSON.stringify(req.headers.host ?? '')} is not one of the stack's names)`,
        );
        return refuse(socket, 403);
      }
      if (!gateways) return socket.destroy();
      gateways.ws.handleUpgrade(req, socket, head).catch(() => socket.destroy());
    });
    const port = await listen(server, options.port ?? 8000, listenHost);
    allowedHost = hostCheck(listenHost, port);
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );

    const environment = plan.environment(services.url);
    const dynamoDb: LocalDynamoDb = await startDynamoDb(
      options.dynamodb ?? 'disk',
      options.dataDir ?? join(PROJECT_ROOT, '.data', 'dynalite'),
    );
    // Stopped last: sockets close, then the server, then the store their handlers write to.
    cleanup.unshift(() => dynamoDb.stop());
    await ensureTables(dynamoDb.endpoint, region, plan.tables);

    Object.assign(process.env, environment, {
      [envName('logLevel')]: options.logLevel ?? process.env.LOG_LEVEL ?? process.env[envName('logLevel')] ?? 'WARN',
      // No CloudWatch reads the metrics here: an EMF line per request would drown the log. Set to 'false' to see them.
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      // Dummy keys: requests are signed, and never with real credentials.
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: services.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: services.url,
    });
    // These would make the SDK use other credentials or ignore the endpoints above.
    for (const name of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS'])
      delete process.env[name];
    if (environment.NODE_OPTIONS?.includes('--enable-source-maps')) process.setSourceMapsEnabled(true);

    // From here on the bundles are cached in this process with this configuration.
    (globalThis as Record<symbol, unknown>)[STARTED] = true;
    const functions = new Map(
      await Promise.all(
        plan.functions.map(
          async (definition) => [definition.logicalId, await LocalFunction.load(definition, region)] as const,
        ),
      ),
    );
    const fn = (id: string) => functions.get(id)!;
    const frontDoor = plan.frontDoor && new LocalFrontDoor(plan.frontDoor.rules, plan.frontDoor.originHeaders);
    const http = new HttpGateway({
      apiLogicalId: plan.httpApi.logicalId,
      routes: plan.httpApi.routes.map((r) => ({ routeKey: r.routeKey, fn: fn(r.functionId) })),
      log,
      frontDoor,
      cors: plan.httpApi.cors && new HttpApiCors(plan.httpApi.cors),
    });
    const ws = new WebSocketGateway({
      apiLogicalId: plan.webSocketApi.logicalId,
      stageName: plan.webSocketApi.stageName,
      routeSelectionExpression: plan.webSocketApi.routeSelectionExpression,
      routes: plan.webSocketApi.routes.map((r) => ({ routeKey: r.routeKey, fn: fn(r.functionId) })),
      viewerRequest: loadWsViewerRequest(`/${plan.webSocketApi.stageName}`),
      frontDoor,
      limits: { ...AWS_WEBSOCKET_LIMITS, ...options.limits },
      log,
      observeFrame: options.observe && ((frame) => options.observe!.serverFrame(frame)),
    });
    // Sockets close (and their $disconnect runs) before the server and DynamoDB stop.
    cleanup.push(() => ws.close());
    gateways = { http, ws };

    let stopped: Promise<void> | undefined;
    return {
      httpUrl: `http://localhost:${port}`,
      wsUrl: `ws://localhost:${port}`,
      port,
      servicesUrl: services.url,
      jwtSecret,
      dynamoDb: dynamoDb.description,
      dynamoDbEndpoint: dynamoDb.endpoint,
      served: served(plan, functions, gateways, environment),
      stop: () => (stopped ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * A Host that is not one of the stack's names (DNS rebinding, see host-check.ts) gets 403
 * with API Gateway's body, as CloudFront answers a Host that is not one of its names.
 */
function refuseHost(req: IncomingMessage, res: ServerResponse, log: (line: string) => void): void {
  log(
    `${req.method} ${splitUrl(req.url).path} 403 (Host ${JSON.stringify(req.headers.host ?? '')} is not one of the stack's names)`,
  );
  sendJson(res, 403, { message: 'Forbidden' });
}

function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new LocalStackError(
              `Port ${port} is already in use; stop what uses it or pick another (PORT=8001 or --port 8001)`,
            )
          : new LocalStackError(`Cannot listen on ${host}:${port}: ${error.message}`),
      );
    });
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function served(
  plan: LocalStackPlan,
  functions: Map<string, LocalFunction>,
  gateways: { http: HttpGateway; ws: WebSocketGateway },
  environment: Record<string, string>,
): LocalStack['served'] {
  const route = (r: { routeKey: string; functionId: string }): ServedRoute => ({
    ...r,
    description: functions.get(r.functionId)?.definition.description,
  });
  return {
    functions: Object.fromEntries(
      [...functions.values()].map(({ definition }) => [
        definition.logicalId,
        { modulePath: definition.modulePath, exportName: definition.exportName },
      ]),
    ),
    httpRoutes: gateways.http.routes.map(route),
    webSocketRoutes: gateways.ws.servedRoutes.map(route),
    webSocketStage: plan.webSocketApi.stageName,
    tables: Object.fromEntries(plan.tables.map((t) => [t.logicalId, t.tableName])),
    environment: Object.fromEntries(Object.keys(environment).map((name) => [name, process.env[name] ?? ''])),
  };
}
