import { describe } from 'vitest';
import { chatStoreContract } from '../../contract/chat-store-contract.js';
import { InMemoryChatStore } from './in-memory-chat-store.js';

/** The fake the unit tests trust keeps the ChatStore contract that DynamoChatStore keeps (test/integration). */
describe('ChatStore contract: in-memory fake', () => {
  chatStoreContract({ make: (limits) => new InMemoryChatStore(limits) });
});
