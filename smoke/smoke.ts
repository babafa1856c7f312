import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { isUuid, signOwnerToken } from '../local/owner-token.js';

/**
 * The clients' flow (docs/api.md), end to end, against any deployment's front door (or `npm start`), with
 * nothing but fetch and a WebSocket client: what a first `cdk deploy` must pass before a
 * client team is told the URL. Each check is one line of the report; a check whose
 * prerequisite failed is skipped rather than failing for the same reason twice.
 */

export interface SmokeOptions {
  /** e.g. https://chat.example.com or http://127.0.0.1:8000 (no path). */
  baseUrl: string;
  /** An owner access token. Its owner is `ownerId`, or else its `user_id` claim. */
  token?: string;
  ownerId?: string;
  /** The HS256 key owner tokens are signed with: mints a fresh owner, and a second one for the 403 check. */
  jwtSecret?: string;
  /** Longest wait for one step (default 10 s); the whole run never takes more than `totalTimeoutMs` (50 s). */
  stepTimeoutMs?: number;
  totalTimeoutMs?: number;
  /** Receives each line of the report as its check finishes. */
  print?: (line: string) => void;
}

export type CheckStatus = 'ok' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** Why it failed, or which check it needed. */
  detail?: string;
}

export interface SmokeReport {
  ok: boolean;
  results: CheckResult[];
  summary: string;
}

/** The checks, in the order they run. */
export const CHECKS = {
  start: 'start a chat',
  visitorSocket: 'visitor socket opens',
  ownerSocket: 'owner socket opens',
  visitorMessage: 'visitor message reaches both sockets',
  ownerMessage: 'owner message reaches both sockets',
  visitorHistory: 'history as the visitor',
  ownerHistory: 'history as the owner',
  roomList: 'room list has the room',
  roomEndpoint: 'room endpoint',
  preflight: 'cross-origin preflight',
  noToken: 'no token is refused (401)',
  foreignRoom: 'a room of another owner is refused (403)',
  outsideApi: 'a path outside the API is 404',
  close: 'close the room',
} as const;

/** Minted owner tokens live as long as SimpleJWT's default access tokens. */
const MINTED_TOKEN_SECONDS = 5 * 60;
const PREFLIGHT_ORIGIN = 'https://smoke.example';
const START_FIELDS = ['room_id', 'visitor_token', 'ws_path', 'ws_url'];
// The guide's room fields and the three issue 12 added (last_message, unread_count, last_read)
const ROOM_FIELDS = [
  'created_at',
  'id',
  'is_active',
  'last_message',
  'last_read',
  'owner_id',
  'unread_count',
  'updated_at',
  'visitor_name',
];
const BROADCAST_FIELDS = ['created_at', 'id', 'message', 'room_id', 'sender_type'];
const HISTORY_FIELDS = ['content', 'created_at', 'id', 'room_id', 'sender_type'];

type Json = Record<string, unknown>;

class CheckFailed extends Error {}

function expect(condition: unknown, why: string): asserts condition {
  if (!condition) throw new CheckFailed(why);
}

const keysOf = (value: unknown): string =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.keys(value).sort().join(',')
    : typeof value;

function expectFields(value: unknown, fields: string[], what: string): asserts value is Json {
  expect(keysOf(value) === fields.join(','), `${what} has fields [${keysOf(value)}], expected [${fields.join(',')}]`);
}

const isIsoTime = (value: unknown) => typeof value === 'string' && !Number.isNaN(Date.parse(value));

/** The owner id a token names (its payload is read, not verified: the server verifies it). */
export function ownerOfToken(token: string, claim = 'user_id'): string {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('--token is not a JWT');
  let owner: unknown;
  try {
    owner = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Json)[claim];
  } catch {
    throw new Error('--token is not a JWT');
  }
  if (typeof owner !== 'string' || !isUuid(owner))
    throw new Error(`the token's ${claim} claim is not a UUID; pass --owner-id`);
  return owner.toLowerCase();
}

interface Socket {
  frames: Json[];
  send(frame: Json): void;
  waitFor(match: (frame: Json) => boolean, what: string, ms: number): Promise<Json>;
  close(): void;
}

/** Opens a socket; a refused handshake fails with its status (never the URL, which holds a credential). */
function openSocket(url: string, ms: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const frames: Json[] = [];
    const listeners = new Set<() => void>();
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new CheckFailed(`no handshake within ${ms} ms`));
    }, ms);
    ws.on('message', (data) => {
      try {
        frames.push(JSON.parse(data.toString()) as Json);
      } catch {
        frames.push({ unparsable: data.toString().slice(0, 100) });
      }
      for (const listener of listeners) listener();
    });
    ws.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      reject(new CheckFailed(`handshake refused with ${response.statusCode}`));
      response.resume();
      ws.terminate();
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(new CheckFailed(`socket error: ${error.message.replace(/\?.*$/, '')}`));
    });
    ws.once('open', () => {
      clearTimeout(timer);
      resolve({
        frames,
        send: (frame) => ws.send(JSON.stringify(frame)),
        close: () => ws.close(),
        waitFor: (match, what, waitMs) =>
          new Promise((found, fail) => {
            const check = () => {
              const frame = frames.find(match);
              if (!frame) return;
              clearTimeout(waitTimer);
              listeners.delete(check);
              found(frame);
            };
            const waitTimer = setTimeout(() => {
              listeners.delete(check);
              fail(new CheckFailed(`no ${what} within ${waitMs} ms; received ${JSON.stringify(frames).slice(0, 300)}`));
            }, waitMs);
            listeners.add(check);
            check();
          }),
      });
    });
  });
}

interface Context {
  owner: { id: string; token: string };
  room?: { room_id: string; visitor_token: string; ws_path: string; ws_url: string };
  visitor?: Socket;
  ownerSocket?: Socket;
  sent: { visitor?: Json; owner?: Json };
  /** Rooms started besides the main one (the token-only 403 check), closed at the end. */
  extraRooms: string[];
}

interface Check {
  name: string;
  needs?: string[];
  run(ms: number): Promise<void>;
}

/** Runs the checks against `options.baseUrl` and reports each; never throws for a failing deployment. */
export async function runSmoke(options: SmokeOptions): Promise<SmokeReport> {
  const base = new URL(options.baseUrl);
  if (base.protocol !== 'https:' && base.protocol !== 'http:')
    throw new Error(`the base URL must be http(s), got ${base.protocol}`);
  const baseUrl = base.origin;
  const print = options.print ?? (() => undefined);
  const stepMs = options.stepTimeoutMs ?? 10_000;
  const deadline = Date.now() + (options.totalTimeoutMs ?? 50_000);
  const timeLeft = () => Math.max(1, Math.min(stepMs, deadline - Date.now()));
  if (!options.token && !options.jwtSecret)
    throw new Error('an owner token (--token) or the signing key (--jwt-secret) is needed');

  const ownerId = options.ownerId ?? (options.token ? ownerOfToken(options.token) : randomUUID());
  const mint = (id: string) => signOwnerToken(id, options.jwtSecret!, MINTED_TOKEN_SECONDS);
  const ctx: Context = {
    owner: { id: ownerId, token: options.token ?? (await mint(ownerId)) },
    sent: {},
    extraRooms: [],
  };

  const call = async (
    path: string,
    init: RequestInit & { ms: number },
  ): Promise<{ status: number; headers: Headers; body: unknown }> => {
    const response = await fetch(`${baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(init.ms) }).catch(
      (error: Error) => {
        const cause = (error.cause as { code?: string; message?: string } | undefined) ?? {};
        throw new CheckFailed(
          error.name === 'TimeoutError'
            ? `no answer within ${init.ms} ms`
            : `request failed: ${cause.code ?? cause.message ?? error.message}`,
        );
      },
    );
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: kept as text for the failure message.
    }
    return { status: response.status, headers: response.headers, body };
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const describe = (response: { status: number; body: unknown }) =>
    `${response.status} ${typeof response.body === 'string' ? response.body.slice(0, 120) : JSON.stringify(response.body).slice(0, 200)}`;
  const room = () => ctx.room!;
  const roomPath = (suffix = '') => `/api/chat/rooms/${room().room_id}/${suffix}`;
  const socketUrl = (param: string, value: string) => {
    const url = new URL(room().ws_url);
    url.searchParams.set(param, value);
    return url.toString();
  };

  async function startChat(owner: string, ms: number) {
    const response = await call('/api/chat/start/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: owner, visitor_name: 'Smoke test' }),
      ms,
    });
    expect(response.status === 201, `POST /api/chat/start/ answered ${describe(response)}, expected 201`);
    expectFields(response.body, START_FIELDS, 'the start answer');
    const started = response.body as unknown as NonNullable<Context['room']>;
    expect(
      [started.room_id, started.visitor_token].every((v) => typeof v === 'string' && isUuid(v)),
      'room_id and visitor_token must be UUIDs',
    );
    expect(started.ws_path === `/ws/chat/${started.room_id}/`, `ws_path is ${started.ws_path}`);
    expect(
      typeof started.ws_url === 'string' && /^wss?:\/\//.test(started.ws_url),
      `ws_url ${started.ws_url} is not a WebSocket URL`,
    );
    return started;
  }

  async function sendAndSee(from: 'visitor' | 'owner', ms: number) {
    const sender = from === 'visitor' ? ctx.visitor! : ctx.ownerSocket!;
    const text = `smoke ${from} ${randomUUID().slice(0, 8)}`;
    sender.send({ message: text });
    const [onVisitor, onOwner] = await Promise.all(
      [ctx.visitor!, ctx.ownerSocket!].map((socket, i) =>
        socket.waitFor((f) => f.message === text, `broadcast on the ${i === 0 ? 'visitor' : 'owner'} socket`, ms),
      ),
    );
    expectFields(onVisitor, BROADCAST_FIELDS, 'the broadcast');
    expect(JSON.stringify(onVisitor) === JSON.stringify(onOwner), 'the two sockets received different broadcasts');
    const wellFormed = typeof onVisitor.id === 'string' && isUuid(onVisitor.id) && isIsoTime(onVisitor.created_at);
    expect(
      wellFormed && onVisitor.room_id === room().room_id && onVisitor.sender_type === from,
      `unexpected broadcast ${JSON.stringify(onVisitor)}`,
    );
    ctx.sent[from] = onVisitor;
  }

  async function expectHistory(credentials: { headers?: Record<string, string>; query?: string }, ms: number) {
    const response = await call(roomPath(`messages/${credentials.query ?? ''}`), { headers: credentials.headers, ms });
    expect(response.status === 200, `history answered ${describe(response)}`);
    expect(Array.isArray(response.body), 'history is not a list');
    const items = response.body as unknown[];
    expect(items.length === 2, `history has ${items.length} messages, expected 2`);
    for (const item of items) expectFields(item, HISTORY_FIELDS, 'a history item');
    const expected = [ctx.sent.visitor!, ctx.sent.owner!].map((b) => ({
      id: b.id,
      sender_type: b.sender_type,
      content: b.message,
    }));
    const got = (items as Json[]).map((m) => ({ id: m.id, sender_type: m.sender_type, content: m.content }));
    expect(
      JSON.stringify(got) === JSON.stringify(expected),
      `history is ${JSON.stringify(got)}, expected ${JSON.stringify(expected)} (oldest first)`,
    );
  }

  async function expectRoom(
    credentials: { headers?: Record<string, string>; query?: string },
    active: boolean,
    ms: number,
  ) {
    const response = await call(roomPath(credentials.query ?? ''), { headers: credentials.headers, ms });
    expect(response.status === 200, `GET ${roomPath()} answered ${describe(response)}`);
    expectFields(response.body, ROOM_FIELDS, 'the room');
    const view = response.body;
    expect(
      view.id === room().room_id &&
        view.owner_id === ctx.owner.id &&
        view.visitor_name === 'Smoke test' &&
        view.is_active === active,
      `unexpected room ${JSON.stringify(view)}`,
    );
    return view;
  }

  const checks: Check[] = [
    {
      name: CHECKS.start,
      run: async (ms) => {
        ctx.room = await startChat(ctx.owner.id, ms);
      },
    },
    {
      name: CHECKS.visitorSocket,
      needs: [CHECKS.start],
      run: async (ms) => {
        ctx.visitor = await openSocket(socketUrl('visitor', room().visitor_token), ms);
      },
    },
    {
      name: CHECKS.ownerSocket,
      needs: [CHECKS.start],
      run: async (ms) => {
        ctx.ownerSocket = await openSocket(socketUrl('token', ctx.owner.token), ms);
      },
    },
    {
      name: CHECKS.visitorMessage,
      needs: [CHECKS.visitorSocket, CHECKS.ownerSocket],
      run: (ms) => sendAndSee('visitor', ms),
    },
    { name: CHECKS.ownerMessage, needs: [CHECKS.visitorMessage], run: (ms) => sendAndSee('owner', ms) },
    {
      name: CHECKS.visitorHistory,
      needs: [CHECKS.visitorMessage, CHECKS.ownerMessage],
      run: (ms) => expectHistory({ query: `?visitor=${room().visitor_token}` }, ms),
    },
    {
      name: CHECKS.ownerHistory,
      needs: [CHECKS.visitorMessage, CHECKS.ownerMessage],
      run: (ms) => expectHistory({ headers: bearer(ctx.owner.token) }, ms),
    },
    {
      name: CHECKS.roomList,
      needs: [CHECKS.start],
      run: async (ms) => {
        // The list reads an eventually consistent index: a new room can take a moment to appear.
        const until = Date.now() + ms;
        for (;;) {
          const response = await call('/api/chat/rooms/', {
            headers: bearer(ctx.owner.token),
            ms: Math.max(1, until - Date.now()),
          });
          expect(response.status === 200, `GET /api/chat/rooms/ answered ${describe(response)}`);
          expect(Array.isArray(response.body), 'the room list is not a list');
          const item = (response.body as unknown[]).find((r) => (r as Json | null)?.id === room().room_id);
          if (item) {
            expectFields(item, ROOM_FIELDS, 'the room list item');
            expect(
              item.owner_id === ctx.owner.id && item.is_active === true,
              `unexpected item ${JSON.stringify(item)}`,
            );
            return;
          }
          expect(Date.now() + 250 < until, `the room is not in the list after ${ms} ms`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      },
    },
    {
      name: CHECKS.roomEndpoint,
      needs: [CHECKS.start],
      run: async (ms) => {
        const asOwner = await expectRoom({ headers: bearer(ctx.owner.token) }, true, ms);
        const asVisitor = await expectRoom({ query: `?visitor=${room().visitor_token}` }, true, ms);
        expect(JSON.stringify(asOwner) === JSON.stringify(asVisitor), 'the owner and the visitor see different rooms');
      },
    },
    {
      name: CHECKS.preflight,
      run: async (ms) => {
        const response = await call('/api/chat/start/', {
          method: 'OPTIONS',
          headers: {
            origin: PREFLIGHT_ORIGIN,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type',
          },
          ms,
        });
        expect(
          response.status >= 200 && response.status < 300,
          `OPTIONS /api/chat/start/ answered ${describe(response)}, expected 2xx`,
        );
        const allowed = response.headers.get('access-control-allow-origin');
        expect(
          allowed === '*' || allowed === PREFLIGHT_ORIGIN,
          `access-control-allow-origin is ${allowed ?? 'missing'}`,
        );
      },
    },
    {
      name: CHECKS.noToken,
      run: async (ms) => {
        const response = await call('/api/chat/rooms/', { ms });
        expect(
          response.status === 401,
          `GET /api/chat/rooms/ without a token answered ${describe(response)}, expected 401`,
        );
        expect(
          typeof (response.body as Json | null)?.detail === 'string',
          `the refusal has no detail: ${describe(response)}`,
        );
      },
    },
    {
      name: CHECKS.foreignRoom,
      needs: [CHECKS.start],
      run: async (ms) => {
        // With the signing key: another owner's token. With a token only: the visitor token of another room.
        let stranger: { headers?: Record<string, string>; query?: string };
        if (options.jwtSecret) {
          stranger = { headers: bearer(await mint(randomUUID())) };
        } else {
          const other = await startChat(ctx.owner.id, ms);
          ctx.extraRooms.push(other.room_id);
          stranger = { query: `?visitor=${other.visitor_token}` };
        }
        for (const path of [roomPath(`messages/${stranger.query ?? ''}`), roomPath(stranger.query ?? '')]) {
          const response = await call(path, { headers: stranger.headers, ms });
          expect(
            response.status === 403,
            `GET ${path.replace(/\?.*$/, '')} answered ${describe(response)}, expected 403`,
          );
        }
      },
    },
    {
      name: CHECKS.outsideApi,
      run: async (ms) => {
        const response = await call('/smoke-test-not-an-api-path/', { ms });
        expect(
          response.status === 404,
          `GET /smoke-test-not-an-api-path/ answered ${describe(response)}, expected 404`,
        );
      },
    },
    {
      name: CHECKS.close,
      needs: [CHECKS.start],
      run: async (ms) => {
        for (const roomId of ctx.extraRooms) {
          const extra = await call(`/api/chat/rooms/${roomId}/close/`, {
            method: 'POST',
            headers: bearer(ctx.owner.token),
            ms,
          });
          expect(extra.status === 200, `closing the extra room answered ${describe(extra)}`);
        }
        const response = await call(roomPath('close/'), { method: 'POST', headers: bearer(ctx.owner.token), ms });
        expect(response.status === 200, `POST ${roomPath('close/')} answered ${describe(response)}, expected 200`);
        expectFields(response.body, ROOM_FIELDS, 'the closed room');
        expect(response.body.is_active === false, 'the closed room is still active');
        // A closed room stays readable, so a client can learn the chat is over.
        await expectRoom({ query: `?visitor=${room().visitor_token}` }, false, ms);
      },
    },
  ];

  const started = Date.now();
  const results: CheckResult[] = [];
  try {
    for (const check of checks) {
      const missing = check.needs?.find((name) => results.find((r) => r.name === name)?.status !== 'ok');
      let result: CheckResult;
      if (missing) {
        result = { name: check.name, status: 'skip', detail: `needs "${missing}"` };
      } else {
        const ms = timeLeft();
        try {
          await withTimeout(check.run(ms), ms + 500);
          result = { name: check.name, status: 'ok' };
        } catch (error) {
          result = { name: check.name, status: 'fail', detail: error instanceof Error ? error.message : String(error) };
        }
      }
      results.push(result);
      print(lineOf(result));
    }
  } finally {
    ctx.visitor?.close();
    ctx.ownerSocket?.close();
  }

  const count = (status: CheckStatus) => results.filter((r) => r.status === status).length;
  const ok = count('ok') === results.length;
  const summary = `${ok ? 'smoke passed' : 'smoke FAILED'}: ${count('ok')} ok, ${count('fail')} failed, ${count('skip')} skipped against ${baseUrl} in ${((Date.now() - started) / 1000).toFixed(1)} s`;
  print(summary);
  return { ok, results, summary };
}

export const lineOf = (result: CheckResult): string =>
  result.status === 'ok'
    ? `ok   ${result.name}`
    : `${result.status === 'fail' ? 'FAIL' : 'skip'} ${result.name}: ${result.detail}`;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CheckFailed(`step took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
