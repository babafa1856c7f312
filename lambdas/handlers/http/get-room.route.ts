import type { ChatStore, OwnerTokenVerifier } from '../../domain/ports.js';
import { getRoom } from '../../domain/rooms.js';
import { httpHandler } from '../../shared/http.js';
import { bearerCredential } from './parse.js';

export interface GetRoomHandlerDeps {
  store: ChatStore;
  verifier: OwnerTokenVerifier;
}

/** GET /api/chat/rooms/<id>/: the room id and a credential (owner JWT or ?visitor=) in, the room out. */
export const makeHandler = (deps: GetRoomHandlerDeps) =>
  httpHandler({
    path: /^\/api\/chat\/rooms\/([^/]+)\/?$/,
    methods: {
      GET: async ({ params, query, header }) => ({
        status: 200,
        body: await getRoom(deps, params[0], {
          owner: bearerCredential(header('authorization')),
          visitorToken: query.visitor,
        }),
      }),
    },
  });
