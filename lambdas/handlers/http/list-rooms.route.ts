import type { ChatStore, OwnerTokenVerifier } from '../../domain/ports.js';
import { listRooms } from '../../domain/rooms.js';
import { httpHandler, listResponse } from '../../shared/http.js';
import { bearerCredential } from './parse.js';

export interface ListRoomsHandlerDeps {
  store: ChatStore;
  verifier: OwnerTokenVerifier;
}

/** GET /api/chat/rooms/: the owner's credential and ?cursor= in, a page of rooms (and a Link) out. */
export const makeHandler = (deps: ListRoomsHandlerDeps) =>
  httpHandler({
    path: /^\/api\/chat\/rooms\/?$/,
    methods: {
      GET: async ({ header, query }) =>
        listResponse(
          '/api/chat/rooms/',
          await listRooms(deps, bearerCredential(header('authorization')), query.cursor),
        ),
    },
  });
