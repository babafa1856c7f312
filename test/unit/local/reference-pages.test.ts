import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_JWT_SECRET } from '../../../local/owner-token.js';
import { mintingAllowed, startReferencePages, type ReferencePages } from '../../../local/reference-pages.js';

/** The page server alone (no stack): what it serves, the API base it writes, the token endpoint's refusals. */
let pages: ReferencePages;
const API_PORT = 18_000;

beforeAll(async () => {
  pages = await startReferencePages({ port: 0, apiPort: API_PORT, jwtSecret: DEFAULT_JWT_SECRET, log: () => {} });
});
afterAll(() => pages?.close());

function call(
  path: string,
  options: { method?: string; host?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: pages.port,
        path,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? `localhost:${pages.port}`, ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const mint = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  call('/owner/token', { method: 'POST', headers, body: JSON.stringify(body) });

describe('the reference pages server', () => {
  it('serves the visitor page with the API on the host name it was loaded from, at the API port', async () => {
    const owner = randomUUID();
    const byName = await call(`/chat/${owner}`);
    expect(byName.status).toBe(200);
    expect(byName.body).toContain(`<meta name="chat-api" content="http://localhost:${API_PORT}">`);
    const byAddress = await call(`/chat/${owner}/`, { host: `127.0.0.1:${pages.port}` });
    expect(byAddress.body).toContain(`<meta name="chat-api" content="http://127.0.0.1:${API_PORT}">`);
    // The page may talk to that API only.
    expect(byAddress.headers['content-security-policy']).toContain(
      `connect-src 'self' http://127.0.0.1:${API_PORT} ws://127.0.0.1:${API_PORT}`,
    );
  });

  it('serves the owner console, and sends / and /owner there', async () => {
    expect((await call('/owner/')).body).toContain('<title>Owner console</title>');
    for (const path of ['/', '/owner']) {
      const answer = await call(path);
      expect([answer.status, answer.headers.location]).toEqual([302, '/owner/']);
    }
    expect((await call('/chat/not-a-uuid')).status).toBe(404);
    expect((await call('/assets/nothing.js')).status).toBe(404);
  });

  it('answers only its own names, as the API does (DNS rebinding)', async () => {
    expect((await call('/owner/', { host: 'attacker.example' })).status).toBe(403);
    expect(
      (await mint({ owner_id: randomUUID() }, { 'content-type': 'application/json', host: 'attacker.example' })).status,
    ).toBe(403);
  });

  it('mints an owner token signed with the stack key, for the lifetime asked (300 s unless said)', async () => {
    const owner = randomUUID();
    const answer = await mint({ owner_id: owner, ttl_seconds: 7 });
    expect(answer.status).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    const { access, expires_in } = JSON.parse(answer.body) as { access: string; expires_in: number };
    expect(expires_in).toBe(7);
    const { payload } = await jwtVerify(access, new TextEncoder().encode(DEFAULT_JWT_SECRET));
    expect(payload).toMatchObject({ user_id: owner, token_type: 'access' });
    expect(payload.exp! - payload.iat!).toBe(7);
    const byDefault = JSON.parse((await mint({ owner_id: owner })).body) as { access: string };
    const { payload: lasting } = await jwtVerify(byDefault.access, new TextEncoder().encode(DEFAULT_JWT_SECRET));
    expect(lasting.exp! - lasting.iat!).toBe(300);
  });

  it('refuses a body that is not JSON (a cross-site form cannot send JSON without a preflight) and bad fields', async () => {
    expect((await mint({ owner_id: randomUUID() }, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await mint({ owner_id: 'admin' })).status).toBe(400);
    expect((await mint({ owner_id: randomUUID(), ttl_seconds: 0 })).status).toBe(400);
    expect((await mint({ owner_id: randomUUID(), ttl_seconds: 1.5 })).status).toBe(400);
    expect(
      (await call('/owner/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }))
        .status,
    ).toBe(400);
    expect((await call('/owner/token')).status).toBe(405);
  });

  it('says a body too large is too large (413), rather than blaming its owner_id', async () => {
    const answer = await mint({ owner_id: randomUUID(), padding: 'x'.repeat(5000) });
    expect([answer.status, JSON.parse(answer.body)]).toEqual([413, { detail: 'The body is too large.' }]);
  });

  it("mints with a key of the user's (JWT_SECRET) for this machine only; with the public default for the LAN too", () => {
    const usersKey = 'the-django-signing-key';
    for (const local of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) expect(mintingAllowed(usersKey, local)).toBe(true);
    for (const lan of ['192.168.1.20', '::ffff:192.168.1.20', 'fd00::2', undefined])
      expect(mintingAllowed(usersKey, lan)).toBe(false);
    expect(mintingAllowed(DEFAULT_JWT_SECRET, '192.168.1.20')).toBe(true);
  });
});
