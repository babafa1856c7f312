import { DEFAULT_MAX_MESSAGE_LENGTH, DEFAULT_MAX_MESSAGES_PER_ROOM } from '../domain/messages.js';
import { intEnv, type Environment } from '../shared/env.js';

/** MAX_MESSAGE_LENGTH: characters (code points) per chat message. */
export const maxMessageLengthFromEnv = (env: Environment = process.env): number =>
  intEnv('MAX_MESSAGE_LENGTH', DEFAULT_MAX_MESSAGE_LENGTH, { min: 1, max: 30_000 }, env);

/** MAX_MESSAGES_PER_ROOM: the most messages one room may hold. */
export const maxMessagesPerRoomFromEnv = (env: Environment = process.env): number =>
  intEnv('MAX_MESSAGES_PER_ROOM', DEFAULT_MAX_MESSAGES_PER_ROOM, { min: 1, max: 1_000_000 }, env);
