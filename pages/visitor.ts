import { ChatApiError, createChatClient, type StartedChat } from '../client/src/index.ts';
import { apiBaseUrl, element, show, showConnectionState } from './common.ts';
import { ConversationView } from './conversation-view.ts';

/**
 * The visitor page at /chat/<owner_uuid>, what the QR code on a car opens: a name and Start,
 * then the conversation. The room and its visitor_token are kept in sessionStorage (this tab
 * only, gone when it closes), so a reload continues the chat; they never go into the URL.
 */

const ownerId = location.pathname.split('/').filter(Boolean)[1] ?? '';
const storageKey = `carchat.visitor.${ownerId}`;

interface StoredChat {
  room_id: string;
  visitor_token: string;
}

const client = createChatClient({ baseUrl: apiBaseUrl() });
const root = element('app');
const indicator = element('connection');
let view: ConversationView | undefined;

function storedChat(): StoredChat | undefined {
  try {
    const stored = JSON.parse(sessionStorage.getItem(storageKey) ?? 'null') as Partial<StoredChat> | null;
    if (stored?.room_id && stored.visitor_token)
      return { room_id: stored.room_id, visitor_token: stored.visitor_token };
  } catch {
    // A value that is not ours: start over.
  }
  return undefined;
}

function openChat(chat: StoredChat): void {
  show(element('start'), false);
  show(element('chat'));
  show(element('finished'), false);
  const credentials = { visitorToken: chat.visitor_token };
  const conversation = client.connect(chat.room_id, credentials);
  conversation.on('state', (state) => showConnectionState(indicator, root, state));
  showConnectionState(indicator, root, conversation.state);
  view = new ConversationView({
    conversation,
    ownSide: 'visitor',
    names: { visitor: 'You', owner: 'Owner' },
    loadRoom: () => client.getRoom(chat.room_id, credentials),
    loadHistory: async () => (await client.history(chat.room_id, credentials)).messages,
    closedText: 'This chat was closed by the owner.',
    onFatal: () => {
      // unauthorized, forbidden or not_found: this room cannot be reached any more (expired,
      // or the token is not valid): the visitor starts over.
      sessionStorage.removeItem(storageKey);
      element('new-chat').textContent = 'This chat is no longer available. Start a new one';
      show(element('finished'));
    },
  });
  conversation.on('closed', () => {
    root.dataset.closed = 'true';
    show(element('finished'));
  });
  element('conversation').replaceChildren(view.element);
  view.focus();
}

element<HTMLFormElement>('start-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  const button = form.querySelector('button')!;
  const error = element('start-error');
  show(error, false);
  button.disabled = true;
  try {
    const name = element<HTMLInputElement>('visitor-name').value.trim();
    const started: StartedChat = await client.startChat(ownerId, name || undefined);
    const chat = { room_id: started.room_id, visitor_token: started.visitor_token };
    sessionStorage.setItem(storageKey, JSON.stringify(chat));
    openChat(chat);
  } catch (failure) {
    error.textContent =
      failure instanceof ChatApiError && failure.status === 429
        ? `Too many chats were started just now. Try again in ${failure.retryAfter ?? 60} seconds.`
        : failure instanceof ChatApiError && failure.status === 400
          ? 'This chat link is not valid. Check the QR code.'
          : 'The chat could not be started. Check your connection and try again.';
    show(error);
  } finally {
    button.disabled = false;
  }
});

element('new-chat').addEventListener('click', () => {
  view?.destroy();
  view = undefined;
  sessionStorage.removeItem(storageKey);
  delete root.dataset.closed;
  showConnectionState(indicator, root, 'closed');
  show(element('chat'), false);
  show(element('start'));
  element('new-chat').textContent = 'Start a new chat';
});

const resumed = storedChat();
if (resumed) openChat(resumed);
else element('visitor-name').focus();
