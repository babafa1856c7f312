import { closeRoom } from '../../domain/rooms.js';
import type { ChatStore, Clock, ConnectionGateway, OwnerTokenVerifier } from '../../domain/ports.js';
import { httpHandler } from '../../shared/http.js';
import { bearerCredential } from './parse.js';

export interface CloseRoomHandlerDeps {
  store: ChatStore;
  verifier: OwnerTokenVerifier;
  gateway: ConnectionGateway;
  clock: Clock;
}

/** POST /api/chat/rooms/<id>/close/: the room id and the owner's credential in, the closed room out. */
export const makeHandler = (deps: CloseRoomHandlerDeps) =>
  httpHandler({
    path: /^\/api\/chat\/rooms\/([^/]+)\/close\/?$/,
    methods: {
      POST: async ({ params, header, logger, metrics }) => ({
        status: 200,
        body: await closeRoom({ ...deps, logger, metrics }, params[0], bearerCredential(header('authorization'))),
      }),
    },
  });
