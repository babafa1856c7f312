import { rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, serveTestSite, type PageChat, type TestSite } from './support/browser.js';
import { useLocalStack } from './support/local-stack-fixture.js';
import { synthesizeWithContext } from './support/synth-with-context.js';

/**
 * The local stack started from a template synthesized with corsAllowedOrigins narrowed to
 * https://allowed.example: the CORS rules come from that template, so a page on any other
 * origin fails exactly as it would against that deployment.
 */
const ALLOWED = 'https://allowed.example';
const assemblyDir = await synthesizeWithContext({ corsAllowedOrigins: ALLOWED });
const local = useLocalStack({ assemblyDir, stackName: 'CarChat', synth: false });

declare const window: { chat: PageChat };

const preflight = (origin: string) =>
  fetch(`${local.stack.httpUrl}/api/chat/start/`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });

const corsHeaders = (response: Response) =>
  [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));

afterAll(() => rmSync(assemblyDir, { recursive: true, force: true }));

describe('with corsAllowedOrigins=https://allowed.example', () => {
  it('answers the allowed origin’s preflight', async () => {
    const response = await preflight(ALLOWED);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('gives another origin no CORS header, on the preflight and on the actual response', async () => {
    const refused = await preflight('https://other.example');
    expect(corsHeaders(refused)).toEqual([]);
    const actual = await fetch(`${local.stack.httpUrl}/api/chat/start/`, {
      method: 'POST',
      headers: { origin: 'https://other.example', 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: randomUUID() }),
    });
    expect(actual.status).toBe(201);
    expect(corsHeaders(actual)).toEqual([]);
  });

  describe('in Chromium', () => {
    let browser: Browser;
    let site: TestSite;
    beforeAll(async () => {
      [browser, site] = await Promise.all([launchChromium(), serveTestSite()]);
    });
    afterAll(async () => {
      await browser?.close();
      await site?.close();
    });

    it('the visitor page on another origin cannot start a chat', async () => {
      const page = await site.open(browser);
      const outcome = await page.evaluate(
        (api, ownerId) =>
          window.chat.start(api, ownerId).then(
            () => 'allowed',
            (error: Error) => `${error.name}: ${error.message}`,
          ),
        local.stack.httpUrl,
        randomUUID(),
      );
      expect(outcome).toBe('TypeError: Failed to fetch');
    });
  });
});
