import { verifierFromEnv } from '../../config/auth.js';
import { storeFromEnv } from '../../config/store.js';
import { listRooms } from '../../domain/rooms.js';
import { httpHandler } from '../../shared/http.js';

const deps = { store: storeFromEnv(), verifier: verifierFromEnv() };

export const handler = httpHandler({
  path: /^\/api\/chat\/rooms\/?$/,
  methods: {
    GET: async (request) => ({ status: 200, body: await listRooms(deps, request.header('authorization')) }),
  },
});
