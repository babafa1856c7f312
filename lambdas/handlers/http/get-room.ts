import { verifierFromEnv } from '../../config/auth.js';
import { storeFromEnv } from '../../config/store.js';
import { getRoom } from '../../domain/rooms.js';
import { httpHandler } from '../../shared/http.js';

const deps = { store: storeFromEnv(), verifier: verifierFromEnv() };

export const handler = httpHandler({
  path: /^\/api\/chat\/rooms\/([^/]+)\/?$/,
  methods: {
    GET: async ({ params, query, header }) => ({
      status: 200,
      body: await getRoom(deps, params[0], { authorization: header('authorization'), visitorToken: query.visitor }),
    }),
  },
});
