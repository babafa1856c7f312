import { DEFAULT_MAX_MESSAGE_LENGTH } from '../domain/messages.js';
import { intEnv, type Environment } from '../shared/env.js';

/** MAX_MESSAGE_LENGTH: characters per chat message. */
export const maxMessageLengthFromEnv = (env: Environment = process.env): number =>
  intEnv('MAX_MESSAGE_LENGTH', DEFAULT_MAX_MESSAGE_LENGTH, { min: 1, max: 30_000 }, env);
