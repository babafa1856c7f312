import { verifierFromEnv } from '../../config/auth.js';
import { gatewayFromEnv } from '../../config/gateway.js';
import { storeFromEnv } from '../../config/store.js';
import { systemClock } from '../../domain/deps.js';
import { closeRoom } from '../../domain/rooms.js';
import { httpHandler } from '../../shared/http.js';

const deps = { store: storeFromEnv(), verifier: verifierFromEnv(), gateway: gatewayFromEnv(), clock: systemClock };

export const handler = httpHandler({
  path: /^\/api\/chat\/rooms\/([^/]+)\/close\/?$/,
  methods: {
    POST: async ({ params, header, logger, metrics }) => ({
      status: 200,
      body: await closeRoom({ ...deps, logger, metrics }, params[0], header('authorization')),
    }),
  },
});
