import { verifierFromEnv } from '../../config/auth.js';
import { storeFromEnv } from '../../config/store.js';
import { listRooms } from '../../domain/rooms.js';
import { httpHandler, listResponse } from '../../shared/http.js';

const deps = { store: storeFromEnv(), verifier: verifierFromEnv() };

export const handler = httpHandler({
  path: /^\/api\/chat\/rooms\/?$/,
  methods: {
    GET: async (request) =>
      listResponse('/api/chat/rooms/', await listRooms(deps, request.header('authorization'), request.query.cursor)),
  },
});
