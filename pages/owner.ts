import {
  ChatApiError,
  createChatClient,
  type ChatMessage,
  type ConnectionState,
  type Inbox,
  type OwnerCredentials,
  type Room,
} from '../client/src/index.ts';
import { apiBaseUrl, element, make, show, showConnectionState, timeElement } from './common.ts';
import { ConversationView } from './conversation-view.ts';

/**
 * The owner console at /owner/: what the owner app does, in a page. Sign in with a token (or,
 * on the local stack, have the page server mint one), then the room list, live through the
 * inbox (previews and unread badges), and one conversation at a time. The token stays in
 * this page's memory: never in the URL, storage or a log.
 */

const client = createChatClient({ baseUrl: apiBaseUrl() });
const root = element('app');
const indicator = element('connection');

// ---- Credentials ----------------------------------------------------------------------

let token = '';
/** Set when the page server minted the token: getToken then mints a new one before it runs out. */
let minting: { ownerId: string; ttlSeconds: number } | undefined;

/** The token's `exp` in ms (the payload is readable; only the server checks the signature). */
function expiresAt(jwt: string): number {
  try {
    const payload = jwt.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const exp = (JSON.parse(atob(payload)) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** POST /owner/token on the page server (local stack only): what the Django backend does for the app. */
async function mintToken(ownerId: string, ttlSeconds: number): Promise<string> {
  const response = await fetch('/owner/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ owner_id: ownerId, ttl_seconds: ttlSeconds }),
  });
  const body = (await response.json()) as { access?: string; detail?: string };
  if (!response.ok || !body.access) throw new Error(body.detail ?? `The page server answered ${response.status}`);
  return body.access;
}

/**
 * The client calls this before every REST call and every (re)connect. A minted token is
 * refreshed once less than a fifth of its lifetime (at most 30 s) is left, as the app
 * refreshes its 5-minute access token before opening a socket; a pasted one is what it is.
 */
const credentials: OwnerCredentials = {
  async getToken() {
    if (minting) {
      const margin = Math.min(30_000, (minting.ttlSeconds * 1000) / 5);
      if (expiresAt(token) - Date.now() < margin) token = await mintToken(minting.ownerId, minting.ttlSeconds);
    }
    return token;
  },
};

// ---- Rooms ----------------------------------------------------------------------------

const rooms = new Map<string, Room>();
/** Messages already counted into a room's preview and badge (a message frame may repeat). */
const counted = new Set<string>();
let inbox: Inbox | undefined;
let openRoomId: string | undefined;
let view: ConversationView | undefined;
const states: { inbox: ConnectionState; room?: ConnectionState } = { inbox: 'connecting' };

function showState(): void {
  // One indicator for both sockets: the worse of the inbox and the open conversation.
  const all = [states.inbox, states.room].filter((s): s is ConnectionState => s !== undefined && s !== 'closed');
  const worst = all.includes('reconnecting') ? 'reconnecting' : all.includes('connecting') ? 'connecting' : 'open';
  showConnectionState(indicator, root, worst);
  root.dataset.inbox = states.inbox;
  element('room-panel').dataset.connection = states.room ?? 'none';
}

const byActivity = (a: Room, b: Room) =>
  b.updated_at.localeCompare(a.updated_at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function visitorName(room: Room): string {
  return room.visitor_name || 'Visitor';
}

function renderRooms(): void {
  const list = element('rooms');
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.roomId;
  const items = [...rooms.values()].sort(byActivity).map((room) => {
    const item = make('li', 'room-item');
    item.dataset.roomId = room.id;
    item.dataset.unread = String(room.unread_count);
    const button = make('button', 'room-button');
    button.type = 'button';
    button.dataset.roomId = room.id;
    if (room.id === openRoomId) button.setAttribute('aria-current', 'true');
    const top = make('span', 'room-top');
    top.append(make('span', 'room-name', visitorName(room)));
    if (room.last_message) top.append(timeElement(room.last_message.created_at));
    const bottom = make('span', 'room-bottom');
    const preview = room.last_message
      ? `${room.last_message.sender_type === 'owner' ? 'You: ' : ''}${room.last_message.content}`
      : 'No messages yet';
    bottom.append(make('span', 'preview', preview));
    if (!room.is_active) bottom.append(make('span', 'tag', 'Closed'));
    if (room.unread_count > 0) {
      const badge = make('span', 'badge', String(room.unread_count));
      badge.setAttribute('aria-label', `${room.unread_count} unread`);
      bottom.append(badge);
    }
    button.append(top, bottom);
    button.addEventListener('click', () => openRoom(room.id));
    item.append(button);
    return item;
  });
  list.replaceChildren(...items);
  show(element('no-rooms'), items.length === 0);
  if (focused) list.querySelector<HTMLElement>(`button[data-room-id="${focused}"]`)?.focus();
}

function putRoom(room: Room): void {
  rooms.set(room.id, room);
  if (room.last_message) counted.add(room.last_message.id);
  if (room.id === openRoomId) updateRoomHeader(room);
}

/**
 * A message frame of the inbox: the preview changes, and a visitor message adds one to the
 * badge unless the room is open on screen (it is read there, and room.updated follows).
 * Room objects (the list, room.updated) stay the truth: they replace whatever was counted.
 */
function onInboxMessage(message: ChatMessage): void {
  const room = rooms.get(message.room_id);
  if (!room || counted.has(message.id)) return;
  counted.add(message.id);
  if (room.last_message && room.last_message.created_at > message.created_at) return;
  const unread = message.sender_type === 'visitor' && message.room_id !== openRoomId ? 1 : 0;
  rooms.set(room.id, {
    ...room,
    last_message: {
      id: message.id,
      sender_type: message.sender_type,
      content: message.text,
      created_at: message.created_at,
    },
    unread_count: room.unread_count + unread,
    updated_at: message.created_at,
  });
  renderRooms();
}

// ---- One conversation -----------------------------------------------------------------

function updateRoomHeader(room: Room): void {
  element('room-title').textContent = `Chat with ${visitorName(room)}`;
  show(element('close-room'), room.is_active);
}

function closeRoomView(): void {
  view?.destroy();
  view = undefined;
  openRoomId = undefined;
  states.room = undefined;
  element('workspace').classList.remove('has-room');
  show(element('room-panel'), false);
  showState();
}

function openRoom(roomId: string): void {
  const room = rooms.get(roomId);
  if (!room) return;
  closeRoomView();
  openRoomId = roomId;
  show(element('room-error'), false);
  updateRoomHeader(room);
  // A closed room is shown from its history: a socket to it would be refused.
  const current = room.is_active ? client.connect(roomId, credentials) : undefined;
  if (current) {
    states.room = current.state;
    current.on('state', (state) => {
      states.room = state;
      showState();
    });
    current.on('closed', () => {
      const known = rooms.get(roomId);
      if (known) putRoom({ ...known, is_active: false });
      renderRooms();
    });
  }
  view = new ConversationView({
    conversation: current,
    ownSide: 'owner',
    names: { owner: 'You', visitor: visitorName(room) },
    loadRoom: () => client.getRoom(roomId, credentials),
    loadHistory: async () => (await client.history(roomId, credentials)).messages,
    closedText: 'This chat is closed. The visitor cannot write any more.',
    onFatal: (error) => {
      if (error.code === 'unauthorized') signOut('Your token was refused (expired?). Sign in again.');
    },
  });
  element('room-conversation').replaceChildren(view.element);
  show(element('room-panel'));
  // On a phone the conversation replaces the list; "← Chats" goes back.
  element('workspace').classList.add('has-room');
  renderRooms();
  showState();
  view.focus();
}

/** POST /api/chat/rooms/<id>/close/: the room's sockets get room.closed, the inboxes room.updated. */
async function closeRoom(roomId: string): Promise<void> {
  const button = element<HTMLButtonElement>('close-room');
  button.disabled = true;
  try {
    putRoom(await client.closeRoom(roomId, credentials));
    renderRooms();
  } catch {
    const error = element('room-error');
    error.textContent = 'The chat could not be closed. Try again.';
    show(error);
  } finally {
    button.disabled = false;
  }
}

// ---- Signing in and out -----------------------------------------------------------------

/**
 * One sign-in at a time: a double click (or Enter pressed twice) would otherwise sign in twice
 * and open a second inbox, which nothing closes. The buttons stay off until it is done.
 */
let signingIn = false;

async function signInOnce(work: () => Promise<void>): Promise<void> {
  if (signingIn) return;
  signingIn = true;
  const buttons = document.querySelectorAll<HTMLButtonElement>('#sign-in button');
  for (const button of buttons) button.disabled = true;
  try {
    await work();
  } finally {
    signingIn = false;
    for (const button of buttons) button.disabled = false;
  }
}

async function signIn(): Promise<void> {
  const error = element('sign-in-error');
  show(error, false);
  try {
    const first = await client.listRooms(credentials);
    rooms.clear();
    for (const room of first.rooms) putRoom(room);
  } catch (failure) {
    error.textContent =
      failure instanceof ChatApiError && failure.status === 401
        ? 'That token was refused: expired, or signed with another key.'
        : 'The chat API could not be reached.';
    show(error);
    token = '';
    minting = undefined;
    return;
  }
  show(element('sign-in'), false);
  show(element('workspace'));
  show(element('sign-out'));
  renderRooms();
  inbox = client.inbox(credentials);
  states.inbox = inbox.state;
  inbox.on('state', (state) => {
    states.inbox = state;
    showState();
  });
  inbox.on('rooms', (firstPage) => {
    for (const room of firstPage) putRoom(room);
    renderRooms();
  });
  inbox.on('room', ({ room }) => {
    putRoom(room);
    renderRooms();
  });
  inbox.on('message', onInboxMessage);
  inbox.on('error', (failure) => {
    if (failure.fatal) signOut('Your token was refused (expired?). Sign in again.');
  });
  showState();
}

function signOut(reason?: string): void {
  inbox?.close();
  inbox = undefined;
  closeRoomView();
  rooms.clear();
  counted.clear();
  token = '';
  minting = undefined;
  states.inbox = 'closed';
  showState();
  show(element('workspace'), false);
  show(element('sign-out'), false);
  show(element('sign-in'));
  const error = element('sign-in-error');
  error.textContent = reason ?? '';
  show(error, Boolean(reason));
}

element<HTMLFormElement>('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void signInOnce(async () => {
    const input = element<HTMLInputElement>('token');
    token = input.value.trim();
    input.value = '';
    minting = undefined;
    await signIn();
  });
});

element<HTMLFormElement>('mint-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void signInOnce(async () => {
    const ownerId = element<HTMLInputElement>('owner-id').value.trim();
    const ttlSeconds = Number(element<HTMLInputElement>('ttl').value);
    try {
      token = await mintToken(ownerId, ttlSeconds);
      minting = { ownerId, ttlSeconds };
    } catch (failure) {
      const error = element('sign-in-error');
      error.textContent = `No token: ${(failure as Error).message}`;
      show(error);
      return;
    }
    await signIn();
  });
});

element('sign-out').addEventListener('click', () => signOut());
element('back').addEventListener('click', () => {
  closeRoomView();
  renderRooms();
});
element('close-room').addEventListener('click', () => {
  if (openRoomId) void closeRoom(openRoomId);
});

// `?owner=<uuid>` (the banner's link) fills the owner id; an owner id is not a secret.
const ownerFromLink = new URLSearchParams(location.search).get('owner');
if (ownerFromLink) element<HTMLInputElement>('owner-id').value = ownerFromLink;
