import { DEFAULT_SOCKETS_PER_ROOM_MEMBER } from '../domain/connections.js';
import { intEnv, type Environment } from '../shared/env.js';

/** SOCKETS_PER_ROOM_MEMBER: open sockets one visitor token, or one owner, may hold in one room. */
export const socketsPerRoomMemberFromEnv = (env: Environment = process.env): number =>
  intEnv('SOCKETS_PER_ROOM_MEMBER', DEFAULT_SOCKETS_PER_ROOM_MEMBER, { min: 1, max: 50 }, env);
