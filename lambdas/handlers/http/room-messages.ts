import { verifierFromEnv } from '../../config/auth.js';
import { storeFromEnv } from '../../config/store.js';
import { getHistory } from '../../domain/rooms.js';
import { httpHandler, listResponse } from '../../shared/http.js';

const deps = { store: storeFromEnv(), verifier: verifierFromEnv() };

export const handler = httpHandler({
  path: /^\/api\/chat\/rooms\/([^/]+)\/messages\/?$/,
  methods: {
    GET: async ({ params, query, header }) => {
      const page = await getHistory(
        deps,
        params[0],
        { authorization: header('authorization'), visitorToken: query.visitor },
        { limit: query.limit, before: query.before, after: query.after },
      );
      // The link carries no credentials: the client adds its own, as on this request.
      return listResponse(`/api/chat/rooms/${params[0]!.toLowerCase()}/messages/`, page);
    },
  },
});
