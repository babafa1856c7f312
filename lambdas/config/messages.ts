import { intEnv, type Environment } from './env.js';

/** Characters (code points) per chat message. */
export const maxMessageLengthFromEnv = (env?: Environment): number => intEnv('maxMessageLength', env);

/** The most messages one room may hold. */
export const maxMessagesPerRoomFromEnv = (env?: Environment): number => intEnv('maxMessagesPerRoom', env);
