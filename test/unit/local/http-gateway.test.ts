import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpGateway } from '../../../local/http-gateway.js';
import type { LocalFunction } from '../../../local/lambda-functions.js';

/** Lambda's synchronous response payload limit: 6 MB of the serialized result. */
const LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024;

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A gateway with one GET route whose function returns `result`. */
async function gatewayReturning(result: unknown): Promise<{ url: string; lines: string[] }> {
  const fn = { definition: { logicalId: 'Fn' }, invoke: async () => result } as unknown as LocalFunction;
  const lines: string[] = [];
  const gateway = new HttpGateway({
    apiLogicalId: 'Api',
    routes: [{ routeKey: 'GET /x', fn }],
    log: (line) => lines.push(line),
  });
  server = createServer((req, res) => void gateway.handle(req, res));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, lines };
}

/** A structured result whose serialized form is `bytes` long. */
function resultOfSize(bytes: number) {
  const empty = { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '' };
  return { ...empty, body: 'a'.repeat(bytes - Buffer.byteLength(JSON.stringify(empty))) };
}

describe('the local HTTP API and Lambda response size', () => {
  it('passes a result of exactly 6 MB', async () => {
    const { url } = await gatewayReturning(resultOfSize(LAMBDA_RESPONSE_LIMIT));
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect((await response.text()).length).toBeGreaterThan(LAMBDA_RESPONSE_LIMIT - 100);
  });

  it('fails a larger result as API Gateway does when Lambda refuses it: 500 {"message":"Internal Server Error"}', async () => {
    const { url, lines } = await gatewayReturning(resultOfSize(LAMBDA_RESPONSE_LIMIT + 1));
    const response = await fetch(url);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
    expect(lines.some((line) => line.includes('6291456'))).toBe(true);
  });

  it('counts the serialized result, escapes included, not just the body', async () => {
    // Every quote in the body is escaped once more in the result: 3.5 MB of body, 7 MB of result.
    const { url } = await gatewayReturning({ statusCode: 200, body: '"'.repeat(3_500_000) });
    expect((await fetch(url)).status).toBe(500);
  });
});
