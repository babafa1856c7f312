import type { ChatStore, OwnerTokenVerifier } from '../../domain/ports.js';
import { getHistory } from '../../domain/rooms.js';
import { httpHandler, listResponse } from '../../shared/http.js';
import { bearerCredential, queryInteger } from './parse.js';

export interface RoomMessagesHandlerDeps {
  store: ChatStore;
  verifier: OwnerTokenVerifier;
}

/** GET /api/chat/rooms/<id>/messages/: a credential and ?limit=&before=&after= in, a page of history out. */
export const makeHandler = (deps: RoomMessagesHandlerDeps) =>
  httpHandler({
    path: /^\/api\/chat\/rooms\/([^/]+)\/messages\/?$/,
    methods: {
      GET: async ({ params, query, header }) => {
        const page = await getHistory(
          deps,
          params[0],
          { owner: bearerCredential(header('authorization')), visitorToken: query.visitor },
          { limit: queryInteger(query.limit), before: query.before, after: query.after },
        );
        // The link carries no credentials: the client adds its own, as on this request.
        return listResponse(`/api/chat/rooms/${params[0]!.toLowerCase()}/messages/`, page);
      },
    },
  });
