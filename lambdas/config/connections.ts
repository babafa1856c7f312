import { intEnv, type Environment } from './env.js';

/** Open sockets one visitor token, or one owner, may hold in one room. */
export const socketsPerRoomMemberFromEnv = (env?: Environment): number => intEnv('socketsPerRoomMember', env);
