import type { ConnectionState } from '../client/src/index.ts';

/** What both reference pages share: the API's address, the connection indicator, small DOM helpers. */

/**
 * The API base URL: the page server writes it into the `chat-api` meta tag (the host name the
 * page was loaded from, at the API's port). A site of its own would hard-code
 * 'https://chat.carinfopro.uz' here.
 */
export function apiBaseUrl(): string {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="chat-api"]')?.content;
  return meta || `${location.protocol}//${location.hostname}:8000`;
}

/** An element the page's HTML must have; a missing one is a bug in the page, said at once. */
export function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}`);
  return found as T;
}

export function show(target: HTMLElement, visible = true): void {
  target.hidden = !visible;
}

/** Builds an element with a class and text; the text is always text, never markup. */
export function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const created = document.createElement(tag);
  if (className) created.className = className;
  if (text !== undefined) created.textContent = text;
  return created;
}

const STATE_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  reconnecting: 'Offline, reconnecting…',
  open: '',
  closed: '',
};

/**
 * The connection indicator: a small line that says "Connecting…" or "Reconnecting…" and is
 * empty while all is well. `data-state` on the page's root lets tests and styles follow it.
 */
export function showConnectionState(indicator: HTMLElement, root: HTMLElement, state: ConnectionState): void {
  root.dataset.connection = state;
  indicator.textContent = STATE_TEXT[state];
  show(indicator, STATE_TEXT[state] !== '');
}

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayAndTime = new Intl.DateTimeFormat(undefined, {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});

/** "14:05" today, "3 Feb, 14:05" before. */
export function formatTime(iso: string): string {
  const at = new Date(iso);
  return at.toDateString() === new Date().toDateString() ? timeOfDay.format(at) : dayAndTime.format(at);
}

/** A `<time>` element for an ISO timestamp. */
export function timeElement(iso: string): HTMLTimeElement {
  const time = make('time', undefined, formatTime(iso));
  time.dateTime = iso;
  return time;
}

/** The server counts characters as code points (docs/api.md "Characters are code points"). */
export const codePoints = (text: string): number => [...text].length;

export const MAX_MESSAGE_CHARACTERS = 4000;
