import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { LocalStackError } from './errors.js';
import { hostCheck, type HostCheck } from './host-check.js';
import { readBody, sendJson } from './http-io.js';
import { DEFAULT_JWT_SECRET, isUuid, signOwnerToken } from './owner-token.js';
import { PROJECT_ROOT } from './synth.js';

/**
 * The reference pages of the client kit (pages/), served by `npm start` on a port of their
 * own: another origin than the API, as the visitor website on the main domain is another
 * origin than chat.carinfopro.uz. The pages' TypeScript is bundled with esbuild at every
 * request, so an edit shows on the next reload. Local only: the deployed stack serves none
 * of this.
 *
 *   GET  /chat/<owner_uuid>   the visitor page (what the QR code on a car opens)
 *   GET  /owner/              the owner console
 *   POST /owner/token         {"owner_id", "ttl_seconds"?} → {"access", "expires_in"}: an owner
 *                             token signed with the stack's key, for the console's getToken
 */

export const PAGES_DIR = join(PROJECT_ROOT, 'pages');

/** SimpleJWT's default access-token lifetime, which the owner app lives with. */
export const DEFAULT_TOKEN_TTL_SECONDS = 300;
const MAX_TOKEN_TTL_SECONDS = 24 * 3600;

export interface ReferencePagesOptions {
  /** 0 picks a free port. */
  port: number;
  /** The interface the API listens on; the pages listen on the same one. */
  host?: string;
  /** The API's port: the pages call the API on the host name they were loaded from, at this port. */
  apiPort: number;
  /** The key the stack verifies owner tokens with. */
  jwtSecret: string;
  /** Where request failures go (never a token). */
  log?: (line: string) => void;
}

export interface ReferencePages {
  /** e.g. http://localhost:8001 */
  url: string;
  port: number;
  close(): Promise<void>;
}

const HTML_PAGES = { visitor: 'visitor.html', owner: 'owner.html' } as const;
const SCRIPTS: Record<string, string> = { '/assets/visitor.js': 'visitor.ts', '/assets/owner.js': 'owner.ts' };
const VISITOR_PATH = /^\/chat\/([0-9a-f-]{36})\/?$/i;

export async function startReferencePages(options: ReferencePagesOptions): Promise<ReferencePages> {
  const log = options.log ?? ((line: string) => console.log(line));
  const listenHost = options.host ?? '127.0.0.1';
  let allowedHost: HostCheck = () => false;

  const server = createServer((req, res) => {
    // The same Host check as the API's (DNS rebinding, see host-check.ts): the token
    // endpoint must not answer a page of another site that made its name resolve here.
    if (!allowedHost(req.headers.host)) return sendText(res, 403, 'Forbidden');
    route(req, res, options).catch((error: unknown) => {
      log(`pages: ${req.method} ${pathOf(req)}: ${(error as Error).message}`);
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new LocalStackError(
          error.code === 'EADDRINUSE'
            ? `Port ${options.port} (the reference pages) is already in use; pick another with --pages-port`
            : `Cannot serve the reference pages on ${listenHost}:${options.port}: ${error.message}`,
        ),
      ),
    );
    server.listen(options.port, listenHost, () => resolve((server.address() as AddressInfo).port));
  });
  allowedHost = hostCheck(listenHost, port);
  return {
    url: `http://localhost:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const pathOf = (req: IncomingMessage): string => (req.url ?? '/').split('?')[0]!;

async function route(req: IncomingMessage, res: ServerResponse, options: ReferencePagesOptions): Promise<void> {
  const path = pathOf(req);
  const method = req.method ?? 'GET';
  if (path === '/owner/token') {
    if (method !== 'POST') return sendText(res, 405, 'Method Not Allowed', { allow: 'POST' });
    return mintOwnerToken(req, res, options.jwtSecret);
  }
  if (method !== 'GET' && method !== 'HEAD') return sendText(res, 405, 'Method Not Allowed', { allow: 'GET, HEAD' });
  if (path === '/' || path === '/owner') return redirect(res, '/owner/');
  if (path === '/owner/') return sendPage(req, res, HTML_PAGES.owner, options);
  if (VISITOR_PATH.test(path)) return sendPage(req, res, HTML_PAGES.visitor, options);
  if (path === '/assets/pages.css') {
    return send(res, 200, 'text/css; charset=utf-8', await readFile(join(PAGES_DIR, 'pages.css')));
  }
  const script = SCRIPTS[path];
  if (script) return send(res, 200, 'text/javascript; charset=utf-8', await bundle(script));
  return sendText(res, 404, 'Not Found');
}

/** The pages' script, bundled with the client it imports; a source map inline, for the browser's debugger. */
async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [join(PAGES_DIR, entry)],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/**
 * The API base is the host name the page was loaded from, at the API's port: a phone on the
 * LAN that loads http://192.168.x.y:8001 talks to http://192.168.x.y:8000. The page reads it
 * from its `chat-api` meta tag.
 */
async function sendPage(
  req: IncomingMessage,
  res: ServerResponse,
  file: string,
  options: ReferencePagesOptions,
): Promise<void> {
  const hostname = new URL(`http://${req.headers.host}`).hostname;
  const api = `http://${hostname}:${options.apiPort}`;
  const html = (await readFile(join(PAGES_DIR, file), 'utf8')).replace(
    '<meta name="chat-api" content="">',
    `<meta name="chat-api" content="${api}">`,
  );
  const ws = api.replace(/^http/, 'ws');
  send(res, 200, 'text/html; charset=utf-8', html, {
    // The pages load their own script and style and talk to the API only.
    'content-security-policy': `default-src 'self'; connect-src 'self' ${api} ${ws}; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
    // The visitor page's address is not a secret, but nothing on it needs to leave either.
    'referrer-policy': 'no-referrer',
  });
}

/**
 * POST /owner/token {"owner_id", "ttl_seconds"?}: what the Django backend does for the owner
 * app, for the console's getToken. A JSON body only: a page of another origin cannot send
 * one without a preflight, which this server does not answer, so other sites cannot mint.
 * Only callers on this machine get a token signed with a key given in JWT_SECRET (it may be
 * a real one); with the public development key any caller may, e.g. a phone on the LAN.
 */
async function mintOwnerToken(req: IncomingMessage, res: ServerResponse, jwtSecret: string): Promise<void> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
    return sendJson(res, 415, { detail: 'Send a JSON body.' });
  if (!mintingAllowed(jwtSecret, req.socket.remoteAddress))
    return sendJson(res, 403, { detail: 'Tokens signed with your JWT_SECRET are minted for this machine only.' });
  const raw = await readBody(req, 4096);
  if (!raw) return sendJson(res, 413, { detail: 'The body is too large.' });
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    body = undefined;
  }
  const { owner_id: ownerId, ttl_seconds: ttl = DEFAULT_TOKEN_TTL_SECONDS } = (body ?? {}) as Record<string, unknown>;
  if (typeof ownerId !== 'string' || !isUuid(ownerId))
    return sendJson(res, 400, { detail: 'owner_id must be a UUID.' });
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_SECONDS)
    return sendJson(res, 400, { detail: `ttl_seconds must be an integer from 1 to ${MAX_TOKEN_TTL_SECONDS}.` });
  sendJson(res, 200, { access: await signOwnerToken(ownerId, jwtSecret, ttl), expires_in: ttl }, nostore);
}

const nostore = { 'cache-control': 'no-store' };

/** Any caller with the public development key; only this machine with a key of the user's. */
export const mintingAllowed = (jwtSecret: string, remoteAddress: string | undefined): boolean =>
  jwtSecret === DEFAULT_JWT_SECRET || isLoopback(remoteAddress);

const isLoopback = (address: string | undefined): boolean =>
  !!address && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...nostore, ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const sendText = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) =>
  send(res, status, 'text/plain; charset=utf-8', text, headers);

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'content-length': 0 });
  res.end();
}
