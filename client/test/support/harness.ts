import { expect, vi } from 'vitest';
import {
  type ChatClientOptions,
  type Conversation,
  type ConversationEvents,
  createChatClient,
  type Inbox,
  type InboxEvents,
} from '../../src/index.js';
import { FakeServer } from './fake-server.js';

export const BASE_URL = 'http://chat.test/';

/** A client wired to a fresh fake server; the tests run on vitest's fake timers. */
export function setup(options: Partial<ChatClientOptions> = {}) {
  const server = new FakeServer();
  const client = createChatClient({
    baseUrl: BASE_URL,
    fetch: server.fetch as typeof globalThis.fetch,
    WebSocket: server.WebSocket,
    ...options,
  });
  return { server, client };
}

/** Advances the fake clock by `ms`, letting every promise chain it starts settle. */
export async function tick(ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

/** Every event a conversation emitted, by name, in order. */
export function recordConversation(conversation: Conversation) {
  const seen = { message: [], read: [], typing: [], closed: [], error: [], state: [] } as {
    [K in keyof ConversationEvents]: ConversationEvents[K][];
  };
  for (const name of Object.keys(seen) as (keyof ConversationEvents)[]) {
    conversation.on(name, (value) => (seen[name] as unknown[]).push(value));
  }
  return seen;
}

/** Every event an inbox emitted, by name, in order. */
export function recordInbox(inbox: Inbox) {
  const seen = { room: [], message: [], rooms: [], error: [], state: [] } as {
    [K in keyof InboxEvents]: InboxEvents[K][];
  };
  for (const name of Object.keys(seen) as (keyof InboxEvents)[]) {
    inbox.on(name, (value) => (seen[name] as unknown[]).push(value));
  }
  return seen;
}

/** A visitor conversation that has opened on a room with `earlier` messages from the owner. */
export async function openVisitor(earlier: string[] = [], options: Partial<ChatClientOptions> = {}) {
  const { server, client } = setup(options);
  const { roomId, visitorToken } = server.startRoom();
  for (const text of earlier) server.store(roomId, 'owner', text);
  const conversation = client.connect(roomId, { visitorToken });
  const events = recordConversation(conversation);
  await tick();
  expect(conversation.state).toBe('open');
  return { server, client, roomId, visitorToken, conversation, events };
}

/** The texts of messages, in order. */
export const texts = (messages: readonly { text: string }[]) => messages.map((m) => m.text);
