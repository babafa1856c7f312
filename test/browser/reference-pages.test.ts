import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../local/synth.js';
import { startReferencePages, type ReferencePages } from '../../local/reference-pages.js';
import { launchChromium } from '../integration/support/browser.js';
import { inboxConnectionIds } from '../integration/support/chat.js';
import { openSocket } from '../integration/support/ws-client.js';
import { useLocalStack } from '../integration/support/local-stack-fixture.js';
import {
  DESKTOP,
  dropConnections,
  holdRequests,
  openOwnerRoom,
  openPage,
  ownerConnections,
  PHONE,
  sendFromPage,
  shownMessages,
  shownRooms,
  signInOwner,
  startVisitorChat,
  visitorConnections,
  WAIT,
  waitForConnection,
  waitForTexts,
  type PageProblems,
  type ShownRoom,
} from './support/pages.js';

/**
 * The reference pages (pages/) in Chromium, as a visitor and an owner use them: the visitor
 * page and the owner console served by the reference-pages server on their own port, the API
 * on the local stack's, so every call is cross-origin as on the real site. The fixture checks
 * every response and frame against the specs. Each test opens its own pages, each page in its
 * own browser context and window.
 */
const local = useLocalStack();
let browser: Browser;
let pages: ReferencePages;
const problems: PageProblems = { found: [] };
const contexts: BrowserContext[] = [];

const SCREENSHOTS = join(PROJECT_ROOT, 'docs', 'img');

beforeAll(async () => {
  [pages, browser] = await Promise.all([
    startReferencePages({ port: 0, apiPort: local.stack.port, jwtSecret: local.stack.jwtSecret }),
    launchChromium(),
  ]);
  expect(new URL(pages.url).origin).not.toBe(new URL(local.stack.httpUrl).origin);
});

afterAll(async () => {
  await browser?.close();
  await pages?.close();
});

// (e) No test may leave a console error or an uncaught exception in any page.
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  const found = problems.found.splice(0);
  expect(found).toEqual([]);
});

async function visitorPage(ownerId: string): Promise<Page> {
  const opened = await openPage(browser, `${pages.url}/chat/${ownerId}`, 'visitor', PHONE, problems);
  contexts.push(opened.context);
  return opened.page;
}

async function ownerConsole(ownerId: string, ttlSeconds?: number, beforeSignIn?: (page: Page) => void): Promise<Page> {
  const opened = await openPage(browser, `${pages.url}/owner/?owner=${ownerId}`, 'owner', DESKTOP, problems);
  contexts.push(opened.context);
  beforeSignIn?.(opened.page);
  await signInOwner(opened.page, ttlSeconds);
  return opened.page;
}

/** The room the visitor page started: what it keeps in sessionStorage (read by the test only). */
async function visitorRoom(page: Page): Promise<{ room_id: string; visitor_token: string }> {
  const stored = await page.evaluate(() => Object.values(sessionStorage));
  expect(stored).toHaveLength(1);
  return JSON.parse(stored[0]!);
}

/**
 * The visitor's socket drops (from the server), and the visitor goes offline before the
 * client's first retry (0.5 to 1 s later), so that every retry fails until the test brings it
 * back. Offline first would not do: Chromium's offline mode leaves an open WebSocket open and
 * holds its frames, and whether a close from the server still gets through varies.
 */
async function dropVisitorAndGoOffline(page: Page, roomId: string): Promise<void> {
  await dropConnections(local.stack, await visitorConnections(local.stack, roomId));
  await waitForConnection(page, 'reconnecting');
  await page.setOfflineMode(true);
  // No retry slipped through: the room has no visitor socket once $disconnect has run.
  await expect.poll(() => visitorConnections(local.stack, roomId), { timeout: WAIT.timeout }).toEqual([]);
}

const texts = async (page: Page) => (await shownMessages(page)).map((m) => m.text);

/** Waits for the owner's room row to show what the test expects (the inbox updates it live). */
async function waitForRoomRow(page: Page, roomId: string, wanted: Partial<ShownRoom>) {
  await expect
    .poll(async () => (await shownRooms(page)).find((room) => room.id === roomId), { timeout: WAIT.timeout })
    .toMatchObject(wanted);
}

/**
 * The usual start of a scenario: the visitor page starts a chat and says "Salom", the owner
 * console sees it arrive unread and opens it. Returns what the visitor page keeps.
 */
async function chatOpenOnBothSides(owner: Page, visitor: Page, visitorName: string) {
  await startVisitorChat(visitor, visitorName);
  const room = await visitorRoom(visitor);
  await sendFromPage(visitor, 'Salom');
  await waitForRoomRow(owner, room.room_id, { unread: 1 });
  await openOwnerRoom(owner, room.room_id);
  return room;
}

describe('the reference pages in Chromium', () => {
  it('(a) carry a conversation both ways in Latin, Cyrillic and emoji, with badges, previews, typing and "Seen"', async () => {
    const ownerId = randomUUID();
    const owner = await ownerConsole(ownerId);
    const visitor = await visitorPage(ownerId);
    await startVisitorChat(visitor, 'Ali');
    const { room_id: roomId } = await visitorRoom(visitor);

    // The new room appears in the owner's list through the inbox, without a reload.
    await waitForRoomRow(owner, roomId, { name: 'Ali', unread: 0, preview: 'No messages yet' });

    await sendFromPage(visitor, 'Salom');
    await waitForRoomRow(owner, roomId, { unread: 1, preview: 'Salom' });
    await sendFromPage(visitor, 'Здравствуйте, ваша машина мешает');
    await waitForRoomRow(owner, roomId, { unread: 2, preview: 'Здравствуйте, ваша машина мешает', badge: '2' });

    // A second visitor, so that the list has a badge beside the open conversation.
    const secondVisitor = await visitorPage(ownerId);
    await startVisitorChat(secondVisitor, 'Dilnoza');
    const { room_id: secondRoom } = await visitorRoom(secondVisitor);
    await sendFromPage(secondVisitor, 'Assalomu alaykum! Mashinangiz darvozani to‘sib qo‘ygan');
    await waitForRoomRow(owner, secondRoom, { unread: 1 });

    // Opening the room reads it: the badge goes, and the visitor sees "Seen" under both messages.
    await openOwnerRoom(owner, roomId);
    await waitForTexts(owner, ['Salom', 'Здравствуйте, ваша машина мешает']);
    await waitForRoomRow(owner, roomId, { unread: 0, badge: '' });
    await expect.poll(async () => (await shownMessages(visitor)).map((m) => m.status)).toEqual(['Seen', 'Seen']);

    // The visitor types: the owner sees "Ali is typing…".
    // The client sends at most one typing frame per 2 s (the server relays no more): the
    // last one went with the last message typed.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await visitor.locator('.composer textarea').fill('Ra');
    await owner.waitForFunction(
      () =>
        [...document.querySelectorAll('.typing')].some(
          (t) => !(t as HTMLElement).hidden && t.textContent === 'Ali is typing…',
        ),
      WAIT,
    );
    await visitor.locator('.composer textarea').fill('');

    await sendFromPage(owner, '🚗💨 5 min');
    await waitForTexts(visitor, ['🚗💨 5 min']);
    await waitForRoomRow(owner, roomId, { preview: 'You: 🚗💨 5 min', unread: 0 });
    // The visitor's page, visible, reads it: the owner sees "Seen".
    await expect.poll(async () => (await shownMessages(owner)).at(-1)?.status).toBe('Seen');
    await sendFromPage(visitor, 'Rahmat! 👍');
    await waitForTexts(owner, ['Rahmat! 👍']);

    expect(await shownMessages(visitor)).toEqual([
      { sender: 'visitor', text: 'Salom', own: true, status: 'Seen' },
      { sender: 'visitor', text: 'Здравствуйте, ваша машина мешает', own: true, status: 'Seen' },
      { sender: 'owner', text: '🚗💨 5 min', own: false, status: '' },
      { sender: 'visitor', text: 'Rahmat! 👍', own: true, status: expect.stringMatching(/^(Sent|Seen)$/) },
    ]);
    expect((await shownMessages(owner)).map((m) => [m.sender, m.text, m.own])).toEqual([
      ['visitor', 'Salom', false],
      ['visitor', 'Здравствуйте, ваша машина мешает', false],
      ['owner', '🚗💨 5 min', true],
      ['visitor', 'Rahmat! 👍', false],
    ]);
    // The second room kept its badge while the first was open; the open one has none.
    const rows = await shownRooms(owner);
    expect(rows.find((r) => r.id === secondRoom)).toMatchObject({ badge: '1', name: 'Dilnoza' });
    expect(rows.find((r) => r.id === roomId)).toMatchObject({ badge: '', preview: 'Rahmat! 👍' });

    mkdirSync(SCREENSHOTS, { recursive: true });
    await owner.waitForFunction(() => document.querySelector('.typing[hidden]') !== null, WAIT);
    await visitor.screenshot({ path: join(SCREENSHOTS, 'visitor-page.png') });
    await owner.screenshot({ path: join(SCREENSHOTS, 'owner-console.png') });
  });

  it('(a) a reload of the visitor page continues the same chat, with no token in its address', async () => {
    const ownerId = randomUUID();
    const visitor = await visitorPage(ownerId);
    await startVisitorChat(visitor, '');
    await sendFromPage(visitor, 'Salom');
    await waitForTexts(visitor, ['Salom']);
    const { room_id: roomId, visitor_token: token } = await visitorRoom(visitor);

    await visitor.reload();
    await waitForConnection(visitor, 'open');
    await waitForTexts(visitor, ['Salom']);
    expect((await visitorRoom(visitor)).room_id).toBe(roomId);
    await sendFromPage(visitor, 'Hali shu yerdaman');
    await waitForTexts(visitor, ['Salom', 'Hali shu yerdaman']);
    expect(await texts(visitor)).toEqual(['Salom', 'Hali shu yerdaman']);
    expect(visitor.url()).not.toContain(token);
  });

  it('label every field, and fit a phone screen without sideways scrolling', async () => {
    const ownerId = randomUUID();
    const unlabelled = (page: Page) =>
      page.$$eval('input, textarea, select', (fields) =>
        fields.filter((field) => (field as HTMLInputElement).labels?.length === 0).map((field) => field.outerHTML),
      );
    const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

    const visitor = await visitorPage(ownerId);
    expect(await unlabelled(visitor)).toEqual([]);
    // The longest name the API takes, with no space to break it at: the owner's phone shows it.
    await startVisitorChat(visitor, 'Abdurahmonov'.repeat(9).slice(0, 100));
    await sendFromPage(visitor, 'Mashinangiz chiqishni to‘sib qo‘ygan, iltimos tezroq keling 🙏🚗');
    const { room_id: roomId } = await visitorRoom(visitor);
    expect(await unlabelled(visitor)).toEqual([]);
    expect(await overflow(visitor)).toBeLessThanOrEqual(0);

    const opened = await openPage(browser, `${pages.url}/owner/?owner=${ownerId}`, 'owner', PHONE, problems);
    contexts.push(opened.context);
    const owner = opened.page;
    expect(await unlabelled(owner)).toEqual([]);
    expect(await overflow(owner)).toBeLessThanOrEqual(0);
    await signInOwner(owner);
    await waitForRoomRow(owner, roomId, { unread: 1 });
    expect(await overflow(owner)).toBeLessThanOrEqual(0);
    await openOwnerRoom(owner, roomId);
    await waitForTexts(owner, ['Mashinangiz chiqishni to‘sib qo‘ygan, iltimos tezroq keling 🙏🚗']);
    expect(await unlabelled(owner)).toEqual([]);
    expect(await overflow(owner)).toBeLessThanOrEqual(0);
    // On a phone the open chat takes the screen; "← Chats" goes back to the list.
    expect(await owner.$eval('#rooms-panel', (panel) => getComputedStyle(panel).display)).toBe('none');
    await owner.locator('#back').click();
    expect(await owner.$eval('#rooms-panel', (panel) => getComputedStyle(panel).display)).not.toBe('none');
  });

  it('a double click on "Get a local token" signs in once: one inbox socket, not a second one left open', async () => {
    const ownerId = randomUUID();
    const opened = await openPage(browser, `${pages.url}/owner/?owner=${ownerId}`, 'owner', DESKTOP, problems);
    contexts.push(opened.context);
    const owner = opened.page;
    await (await owner.$('#mint-form button'))!.click({ count: 2 });
    await owner.waitForSelector('#app[data-inbox="open"]', { timeout: WAIT.timeout });
    // Every sign-in the clicks started has run its course (tokens, room lists, handshakes).
    await owner.waitForNetworkIdle({ idleTime: 1000, timeout: WAIT.timeout });
    expect(await inboxConnectionIds(local.stack, ownerId)).toHaveLength(1);
  });

  it("a right-to-left override in a visitor's name turns round only the name, not the time or the typing line beside it", async () => {
    const ownerId = randomUUID();
    const owner = await ownerConsole(ownerId);
    const visitor = await visitorPage(ownerId);
    await chatOpenOnBothSides(owner, visitor, 'Ali\u202E');
    await waitForTexts(owner, ['Salom']);
    await new Promise((resolve) => setTimeout(resolve, 2100)); // the client's one typing frame per 2 s
    await visitor.locator('.composer textarea').fill('R');
    await owner.waitForSelector('.typing:not([hidden])', WAIT);
    // Read left to right, the first character of the time ("14:05") is left of its last, and
    // likewise for "is typing…": as they are without the override.
    const readsLeftToRight = (selector: string, pattern: string) =>
      owner.$eval(
        selector,
        (shown, source) => {
          const walker = document.createTreeWalker(shown, NodeFilter.SHOW_TEXT);
          const words = new RegExp(source);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const found = words.exec(node.textContent!);
            if (!found) continue;
            const left = (offset: number) => {
              const range = document.createRange();
              range.setStart(node!, offset);
              range.setEnd(node!, offset + 1);
              return range.getBoundingClientRect().left;
            };
            return left(found.index) < left(found.index + found[0].length - 1);
          }
          return undefined;
        },
        pattern,
      );
    expect(await readsLeftToRight('li[data-sender="visitor"] time', '\\d+:\\d+')).toBe(true);
    expect(await readsLeftToRight('.typing', 'is typing…')).toBe(true);
  });

  it('a burst of messages: the read receipts the server refuses as over its frame limit are sent again, not shown as a send that failed', async () => {
    const ownerId = randomUUID();
    const owner = await ownerConsole(ownerId);
    const visitor = await visitorPage(ownerId);
    const { room_id: roomId, visitor_token: token } = await chatOpenOnBothSides(owner, visitor, 'Ali');
    await waitForTexts(owner, ['Salom']);

    // Fifteen messages at once from three more sockets of the visitor (the server allows each
    // five frames a second): the console marks each one read as it arrives, more read frames
    // in a second than the server takes, and gets rate_limited for some, naming no send.
    const sockets = await Promise.all(
      [1, 2, 3].map(() => openSocket(`${local.stack.wsUrl}/ws/chat/${roomId}/?visitor=${token}`)),
    );
    const burst = sockets.flatMap((socket, s) =>
      [1, 2, 3, 4, 5].map((n) => {
        const text = `${s + 1}.${n}`;
        socket.ws.send(JSON.stringify({ message: text, client_id: randomUUID() }));
        return text;
      }),
    );
    await waitForTexts(owner, burst);
    const lastText = await owner.$eval(
      '.conversation > .error',
      (line) => (line as HTMLElement).hidden || line.textContent,
    );
    for (const socket of sockets) socket.ws.close();
    // The owner sent nothing: no line may say a message of theirs could not be sent.
    expect(lastText).toBe(true);
    // And the room open on screen is read to its end: the refused receipts were sent again.
    await waitForRoomRow(owner, roomId, { unread: 0, badge: '' });
    await expect.poll(async () => (await shownMessages(visitor)).at(-1)?.status, WAIT).toBe('Seen');
  });

  it('(b) a visitor whose socket dropped while the owner sent three messages shows exactly those three, once each, in order', async () => {
    const ownerId = randomUUID();
    const owner = await ownerConsole(ownerId);
    const visitor = await visitorPage(ownerId);
    const { room_id: roomId } = await chatOpenOnBothSides(owner, visitor, 'Ali');
    await sendFromPage(owner, 'Keldim');
    await waitForTexts(visitor, ['Salom', 'Keldim']);

    await dropVisitorAndGoOffline(visitor, roomId);

    const three = ['1/3 Hozir chiqaman', '2/3 Две минуты, пожалуйста', '3/3 🚗 ➡️ 🅿️'];
    // Each after the echo of the one before, as docs/api.md asks of a client that needs its
    // sends in order (the server may handle one socket's frames in any order).
    for (const text of three) {
      await sendFromPage(owner, text);
      await waitForTexts(owner, [text]);
    }
    // The visitor writes meanwhile too: shown as sending, sent once it is back.
    await sendFromPage(visitor, 'Kutyapman');
    expect(await texts(visitor)).toEqual(['Salom', 'Keldim']);

    // Back online, the client's catch-up (GET .../messages/?after=<Keldim>) is held until the
    // owner's next message has come live on the new socket: it is then both in the live frames
    // and in the history, and must be shown once.
    const catchUp = await holdRequests(visitor, (url) => url.includes('/messages/') && url.includes('after='));
    await visitor.setOfflineMode(false);
    await catchUp.held;
    await sendFromPage(owner, 'Yetib keldim');
    await waitForTexts(owner, ['Yetib keldim']);
    await catchUp.release();
    await waitForConnection(visitor, 'open');
    await waitForTexts(visitor, [...three, 'Yetib keldim', 'Kutyapman']);
    await waitForTexts(owner, ['Kutyapman']);

    // The visitor's message went after the reconnect, so after the owner's.
    const expected = ['Salom', 'Keldim', ...three, 'Yetib keldim', 'Kutyapman'];
    expect(await texts(visitor)).toEqual(expected);
    expect(await texts(owner)).toEqual(expected);
    expect(await visitor.$$('ol.messages.pending > li')).toHaveLength(0);
  });

  it('(c) the owner token expiring mid-chat: the console reconnects with a fresh one from getToken and the chat goes on', async () => {
    const ownerId = randomUUID();
    // The tokens the page server minted for the console, in order (kept by the test only).
    const minted: Promise<string>[] = [];
    const owner = await ownerConsole(ownerId, 4, (page) =>
      page.on('response', (response) => {
        if (response.url().endsWith('/owner/token') && response.ok())
          minted.push(response.json().then((body: { access: string }) => body.access));
      }),
    );
    const visitor = await visitorPage(ownerId);
    const { room_id: roomId } = await chatOpenOnBothSides(owner, visitor, 'Ali');
    await sendFromPage(owner, 'Salom, eshitaman');
    await waitForTexts(visitor, ['Salom, eshitaman']);

    // Every token the console used so far has really expired once the API refuses the newest
    // of them (exp plus the API's 30 s of clock skew): its sockets stay open meanwhile, as
    // API Gateway's do.
    expect(minted.length).toBeGreaterThan(0);
    const newest = await minted.at(-1)!;
    await expect
      .poll(
        async () =>
          (await fetch(`${local.stack.httpUrl}/api/chat/rooms/`, { headers: { authorization: `Bearer ${newest}` } }))
            .status,
        { timeout: 60_000, interval: 1000 },
      )
      .toBe(401);
    const mintedBefore = minted.length;
    const linesBefore = local.gatewayLines.length;

    // The sockets drop (a network change, the 2-hour limit): the client reconnects with a
    // token from getToken, which the console mints afresh.
    const dropped = await ownerConnections(local.stack, roomId, ownerId);
    expect(dropped).toHaveLength(2); // the room's socket and the inbox
    await dropConnections(local.stack, dropped);
    await expect
      .poll(() => local.gatewayLines.slice(linesBefore).filter((line) => / connected$/.test(line)).length, {
        timeout: WAIT.timeout,
      })
      .toBe(2);
    await waitForConnection(owner, 'open', '#room-panel');
    await owner.waitForSelector('#app[data-inbox="open"]', { timeout: WAIT.timeout });

    await sendFromPage(owner, 'Token yangilandi ✅');
    await waitForTexts(visitor, ['Token yangilandi ✅']);
    await sendFromPage(visitor, 'Ajoyib, rahmat');
    await waitForTexts(owner, ['Ajoyib, rahmat']);
    await waitForRoomRow(owner, roomId, { preview: 'Ajoyib, rahmat' });

    expect(minted.length).toBeGreaterThan(mintedBefore);
    // Straight to a fresh token: no handshake was refused for a stale one.
    const after = local.gatewayLines.slice(linesBefore);
    expect(after.filter((line) => / refused 401/.test(line))).toEqual([]);
    expect(await owner.$eval('#sign-in', (section) => (section as HTMLElement).hidden)).toBe(true);
  });

  it('(d) a chat closed while the visitor is offline shows as closed when it is back, and the page stops retrying', async () => {
    const ownerId = randomUUID();
    const owner = await ownerConsole(ownerId);
    const visitor = await visitorPage(ownerId);
    const { room_id: roomId } = await chatOpenOnBothSides(owner, visitor, 'Ali');

    await dropVisitorAndGoOffline(visitor, roomId);

    await owner.locator('#close-room').click();
    await owner.waitForSelector('.conversation[data-closed="true"]', { timeout: WAIT.timeout });
    await waitForRoomRow(owner, roomId, { closed: true });

    await visitor.setOfflineMode(false);
    await visitor.waitForSelector('#app[data-closed="true"]', { timeout: 40_000 });
    const linesWhenClosed = local.gatewayLines.length;
    expect(await visitor.$eval('.closed-note', (note) => note.textContent)).toBe('This chat was closed by the owner.');
    expect(await visitor.$eval('.composer', (form) => (form as HTMLElement).hidden)).toBe(true);
    expect(await texts(visitor)).toEqual(['Salom']);
    const roomSocket = `WS /ws/chat/${roomId}/`;
    // The attempt that found the room closed: refused at the handshake (403), then asked why.
    expect(local.gatewayLines.filter((line) => line.startsWith(`${roomSocket} refused 403`)).length).toBeGreaterThan(0);

    // Longer than the client's backoff after the few attempts made offline (at most 8 s
    // after four): a client that went on retrying would have tried again by now.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    expect(local.gatewayLines.slice(linesWhenClosed).filter((line) => line.startsWith(roomSocket))).toEqual([]);
    expect(await visitor.$eval('#app', (app) => (app as HTMLElement).dataset.connection)).toBe('closed');
  });
});
