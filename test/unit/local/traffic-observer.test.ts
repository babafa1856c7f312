import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sendJson } from '../../../local/http-io.js';
import { observeResponse, type ObservedHttpResponse } from '../../../local/traffic-observer.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A server whose responses are written by `respond` and reported to the observer. */
async function observedServer(
  respond: Parameters<typeof createServer>[1],
): Promise<{ url: string; seen: ObservedHttpResponse[] }> {
  const seen: ObservedHttpResponse[] = [];
  server = createServer((req, res) => {
    observeResponse(req, res, { httpResponse: (e) => seen.push(e), serverFrame: () => undefined });
    respond!(req, res);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('observeResponse', () => {
  it('reports the status, the headers given to writeHead or setHeader, and the body written in pieces', async () => {
    const { url, seen } = await observedServer((_req, res) => {
      res.setHeader('Link', '</next>; rel="next"');
      res.writeHead(200, { 'Content-Type': 'application/json', 'Set-Cookie': ['a=1', 'b=2'] });
      res.write('[1,');
      res.end(Buffer.from('2]'));
    });
    await fetch(`${url}/api/chat/rooms/?cursor=x`);
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]).toEqual({
      method: 'GET',
      path: '/api/chat/rooms/',
      query: 'cursor=x',
      status: 200,
      headers: expect.objectContaining({
        'content-type': 'application/json',
        link: '</next>; rel="next"',
        'set-cookie': 'a=1, b=2',
      }),
      body: '[1,2]',
    });
  });

  it('reports no body for HEAD, as the client receives none', async () => {
    const { url, seen } = await observedServer((_req, res) =>
      sendJson(res, 405, { detail: 'Method "HEAD" not allowed.' }, { allow: 'GET' }),
    );
    await fetch(`${url}/x`, { method: 'HEAD' });
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]).toMatchObject({ method: 'HEAD', status: 405, headers: { allow: 'GET' }, body: '' });
  });

  it('reports nothing for a response cut off before it finished', async () => {
    const { url, seen } = await observedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      res.destroy();
    });
    await new Promise<void>((resolve) => {
      const req = request(`${url}/x`, (res) =>
        res
          .on('error', () => resolve())
          .on('close', () => resolve())
          .resume(),
      );
      req.on('error', () => resolve());
      req.end();
    });
    expect(seen).toEqual([]);
  });
});
