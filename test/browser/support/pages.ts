import type { Browser, BrowserContext, ConsoleMessage, HTTPRequest, Page } from 'puppeteer-core';
import { expect } from 'vitest';
import type { LocalStack } from '../../../local/local-stack.js';
import { inboxConnectionIds, roomConnectionIds } from '../../integration/support/chat.js';

/**
 * Driving the reference pages (pages/) as a person would: each page in its own browser
 * context and its own window (a background tab is 'hidden', and a hidden page rightly sends
 * no read receipts), read through the DOM the person sees.
 */

/** A phone for the visitor, a desktop for the owner. */
export const PHONE = { width: 390, height: 780, deviceScaleFactor: 2 };
export const DESKTOP = { width: 1200, height: 760 };

/** Interval polling: waitForFunction's default (animation frames) is paused in a window that is not painted. */
export const WAIT = { polling: 50, timeout: 20_000 };

/** What went wrong in a page: console errors and uncaught exceptions, with the page's name. */
export interface PageProblems {
  readonly found: string[];
}

/**
 * Lines Chromium itself logs as errors (not the page: no script can silence them) for network
 * failures the client expects and handles, each exactly:
 *  - a reconnect while the test holds the page offline, and the client's REST probe after it
 *    (GET /api/chat/rooms/<id>/, whose rejection the client catches and backs off);
 *  - the handshake to a room closed meanwhile, refused with 403: browsers hide the status
 *    from the page, which is why the client then asks the room endpoint (docs/api.md,
 *    "Reconnecting").
 * The URL in the WebSocket lines is the browser's; the page never logs one.
 */
const EXPECTED_BROWSER_LINES = [
  /^WebSocket connection to 'ws:\/\/[^']+' failed: Error in connection establishment: net::ERR_INTERNET_DISCONNECTED$/,
  /^Failed to load resource: net::ERR_INTERNET_DISCONNECTED$/,
  /^WebSocket connection to 'ws:\/\/[^']+' failed: Error during WebSocket handshake: Unexpected response code: 403$/,
];

export function watchForProblems(page: Page, name: string, problems: PageProblems): void {
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() !== 'error') return;
    if (EXPECTED_BROWSER_LINES.some((line) => line.test(message.text()))) return;
    problems.found.push(`${name}: console.error ${message.text()}`);
  });
  page.on('pageerror', (error: unknown) => problems.found.push(`${name}: uncaught ${String(error)}`));
}

export interface OpenedPage {
  page: Page;
  context: BrowserContext;
}

export async function openPage(
  browser: Browser,
  url: string,
  name: string,
  viewport: typeof PHONE | typeof DESKTOP,
  problems: PageProblems,
): Promise<OpenedPage> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage({ type: 'window' });
  watchForProblems(page, name, problems);
  await page.setViewport(viewport);
  await page.goto(url);
  return { page, context };
}

/**
 * Holds the page's first request whose URL matches until `release()`; every other request goes
 * on. For making the order of events certain, e.g. a live frame arriving during a catch-up.
 */
export async function holdRequests(
  page: Page,
  matches: (url: string) => boolean,
): Promise<{ held: Promise<HTTPRequest>; release(): Promise<void> }> {
  let hold: (request: HTTPRequest) => void;
  const held = new Promise<HTTPRequest>((resolve) => (hold = resolve));
  let holding = true;
  const onRequest = (request: HTTPRequest) => {
    if (holding && matches(request.url())) {
      holding = false;
      hold(request);
    } else void request.continue();
  };
  page.on('request', onRequest);
  await page.setRequestInterception(true);
  return {
    held,
    async release() {
      await (await held).continue();
      await page.setRequestInterception(false);
      page.off('request', onRequest);
    },
  };
}

// ---- The visitor page -------------------------------------------------------------------

export interface ShownMessage {
  sender: string;
  text: string;
  own: boolean;
  status: string;
}

/** The conversation as the page shows it (delivered messages, not the pending ones). */
export function shownMessages(page: Page): Promise<ShownMessage[]> {
  return page.$$eval('ol.messages:not(.pending) > li', (items) =>
    items.map((item) => ({
      sender: (item as HTMLElement).dataset.sender ?? '',
      text: item.querySelector('.text')?.textContent ?? '',
      own: item.classList.contains('own'),
      status: item.querySelector('.status')?.textContent ?? '',
    })),
  );
}

export async function waitForTexts(page: Page, texts: string[]): Promise<void> {
  await page.waitForFunction(
    (wanted: string[]) => {
      const shown = [...document.querySelectorAll('ol.messages:not(.pending) > li .text')].map((t) => t.textContent);
      return wanted.every((text) => shown.includes(text));
    },
    WAIT,
    texts,
  );
}

/** Types into the composer and presses Enter, as a person sends. */
export async function sendFromPage(page: Page, text: string): Promise<void> {
  await page.locator('.composer textarea').fill(text);
  await page.keyboard.press('Enter');
}

export async function startVisitorChat(page: Page, name: string): Promise<void> {
  await page.locator('#visitor-name').fill(name);
  await page.locator('#start-form button').click();
  await waitForConnection(page, 'open');
}

/** The page's connection state (`data-connection` on its root: connecting, open, reconnecting, closed). */
export async function waitForConnection(page: Page, state: string, selector = '#app'): Promise<void> {
  await page.waitForSelector(`${selector}[data-connection="${state}"]`, { timeout: WAIT.timeout });
}

// ---- The owner console --------------------------------------------------------------------

/** Signs in with a token the page server mints (the local-only button), for `ttlSeconds`. */
export async function signInOwner(page: Page, ttlSeconds = 300): Promise<void> {
  await page.locator('#ttl').fill(String(ttlSeconds));
  await page.locator('#mint-form button').click();
  await page.waitForSelector('#workspace:not([hidden])', { timeout: WAIT.timeout });
  await page.waitForSelector('#app[data-inbox="open"]', { timeout: WAIT.timeout });
}

export interface ShownRoom {
  id: string;
  name: string;
  preview: string;
  unread: number;
  badge: string;
  closed: boolean;
}

export function shownRooms(page: Page): Promise<ShownRoom[]> {
  return page.$$eval('#rooms > li', (items) =>
    items.map((item) => ({
      id: (item as HTMLElement).dataset.roomId ?? '',
      name: item.querySelector('.room-name')?.textContent ?? '',
      preview: item.querySelector('.preview')?.textContent ?? '',
      unread: Number((item as HTMLElement).dataset.unread),
      badge: item.querySelector('.badge')?.textContent ?? '',
      closed: item.querySelector('.tag') !== null,
    })),
  );
}

export async function openOwnerRoom(page: Page, roomId: string): Promise<void> {
  await page.locator(`#rooms button[data-room-id="${roomId}"]`).click();
  await waitForConnection(page, 'open', '#room-panel');
}

// ---- Server side ------------------------------------------------------------------------

/**
 * Drops sockets from the server side, as API Gateway does after 2 hours or when a Lambda
 * calls DeleteConnection: the management API of the local stack (its services port).
 */
export async function dropConnections(stack: LocalStack, connectionIds: string[]): Promise<void> {
  expect(connectionIds.length).toBeGreaterThan(0);
  for (const id of connectionIds) {
    const response = await fetch(`${stack.servicesUrl}/@connections/${encodeURIComponent(id)}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
  }
}

/** The room's sockets of one side, as the table holds them: which socket to drop (the test's business only). */
export const visitorConnections = (stack: LocalStack, roomId: string) => roomConnectionIds(stack, roomId, 'visitor');
export const ownerConnections = async (stack: LocalStack, roomId: string, ownerId: string) => [
  ...(await roomConnectionIds(stack, roomId, 'owner')),
  ...(await inboxConnectionIds(stack, ownerId)),
];
