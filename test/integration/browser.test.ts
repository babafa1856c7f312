import { randomUUID } from 'node:crypto';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signOwnerToken } from '../../local/owner-token.js';
import { launchChromium, serveTestSite, type PageChat, type TestSite } from './support/browser.js';
import { useLocalStack } from './support/local-stack-fixture.js';

/**
 * The visitor website and the API on different origins, in Chromium, against the local stack
 * started from the default template (any origin allowed, no credentials). The browser makes
 * the preflights itself; the local stack answers them from the template's CORS configuration.
 */
const local = useLocalStack();
let browser: Browser;
let site: TestSite;

declare const window: { chat: PageChat };

beforeAll(async () => {
  [browser, site] = await Promise.all([launchChromium(), serveTestSite()]);
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('a page on another origin, in Chromium', () => {
  it('starts a chat, and chats both ways with an owner page that lists rooms with a Bearer header', async () => {
    const api = local.stack.httpUrl;
    expect(new URL(api).origin).not.toBe(site.origin);
    const ownerId = randomUUID();
    const token = await signOwnerToken(ownerId, local.stack.jwtSecret);
    const [visitor, owner] = await Promise.all([site.open(browser), site.open(browser)]);

    const started = await visitor.evaluate((base, id) => window.chat.start(base, id), api, ownerId);
    expect(started.status).toBe(201);
    const room = started.body as { room_id: string; visitor_token: string; ws_url: string };
    await visitor.evaluate((url) => window.chat.connect(url), `${room.ws_url}?visitor=${room.visitor_token}`);

    const rooms = await owner.evaluate((base, jwt) => window.chat.rooms(base, jwt), api, token);
    expect(rooms.status).toBe(200);
    expect(rooms.body.map((r) => r.id)).toContain(room.room_id);
    await owner.evaluate(
      (url) => window.chat.connect(url),
      `${local.stack.wsUrl}/ws/chat/${room.room_id}/?token=${token}`,
    );

    await owner.evaluate(() => window.chat.send('Salom, men egasiman'));
    // Interval polling: a background tab gets no animation frames, waitForFunction's default.
    const waitOptions = { polling: 50, timeout: 10_000 };
    await visitor.waitForFunction(
      () => window.chat.received.some((f) => f.sender_type === 'owner' && f.message === 'Salom, men egasiman'),
      waitOptions,
    );
    await visitor.evaluate(() => window.chat.send('Mashinangiz yo‘lni to‘sib qo‘ydi'));
    await owner.waitForFunction(
      () =>
        window.chat.received.some(
          (f) => f.sender_type === 'visitor' && f.message === 'Mashinangiz yo‘lni to‘sib qo‘ydi',
        ),
      waitOptions,
    );

    // The browser did preflight both calls, and the local API Gateway answered them itself.
    const preflights = local.gatewayLines.filter(
      (line) => line.startsWith('OPTIONS') && line.includes('CORS preflight'),
    );
    expect(preflights.some((line) => line.includes('/api/chat/start/'))).toBe(true);
    expect(preflights.some((line) => line.includes('/api/chat/rooms/'))).toBe(true);
  });
});
