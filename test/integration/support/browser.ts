import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/**
 * A real browser for the cross-origin tests: Debian's Chromium (apt-get install chromium;
 * .ci/run installs it when missing), driven by puppeteer-core, and a tiny website served
 * from its own port, which makes it another origin than the local stack's API.
 */

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get install -y chromium; .ci/run does it)`,
    );
  }
  return puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
}

/**
 * The visitor website's one page. Its script is what a site on carinfopro.uz would do with
 * the chat API on chat.carinfopro.uz: plain fetch (JSON body or Authorization header, both
 * preflighted) and a WebSocket, no cookies.
 */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Car chat test page</title></head>
<body>
<script>
  window.chat = {
    received: [],
    socket: undefined,
    async start(api, ownerId) {
      const response = await fetch(api + '/api/chat/start/', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user_id: ownerId, visitor_name: 'Ali' }),
      });
      return { status: response.status, body: await response.json() };
    },
    async rooms(api, token) {
      const response = await fetch(api + '/api/chat/rooms/', { headers: { Authorization: 'Bearer ' + token } });
      return { status: response.status, body: await response.json() };
    },
    connect(url) {
      return new Promise((resolve, reject) => {
        const socket = new WebSocket(url);
        socket.onmessage = (event) => window.chat.received.push(JSON.parse(event.data));
        socket.onopen = () => { window.chat.socket = socket; resolve(); };
        socket.onerror = () => reject(new Error('WebSocket failed: ' + url));
      });
    },
    send(text) {
      window.chat.socket.send(JSON.stringify({ message: text }));
    },
  };
</script>
</body></html>`;

export interface TestSite {
  /** e.g. http://127.0.0.1:41234, another origin than the API's http://localhost:<port>. */
  origin: string;
  open(browser: Browser): Promise<Page>;
  close(): Promise<void>;
}

export async function serveTestSite(): Promise<TestSite> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    async open(browser) {
      const page = await browser.newPage();
      await page.goto(`${origin}/`);
      return page;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What the page's script keeps on `window.chat`, for page.evaluate. */
export type PageChat = {
  received: Record<string, unknown>[];
  start(api: string, ownerId: string): Promise<{ status: number; body: Record<string, string> }>;
  rooms(api: string, token: string): Promise<{ status: number; body: { id: string }[] }>;
  connect(url: string): Promise<void>;
  send(text: string): void;
};
