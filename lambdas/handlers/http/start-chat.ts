import { gatewayFromEnv } from '../../config/gateway.js';
import { storeFromEnv } from '../../config/store.js';
import { systemClock } from '../../domain/deps.js';
import { startChat } from '../../domain/start-chat.js';
import { optionalEnv, requireEnv } from '../../shared/env.js';
import { bodyText, httpHandler, sourceAddress } from '../../shared/http.js';

const store = storeFromEnv();
const gateway = gatewayFromEnv();
/** e.g. wss://chat.example.com/ws/chat/{room_id}/ or wss://<api>/<stage>?room={room_id} */
const wsUrlTemplate = requireEnv('WS_URL_TEMPLATE');
/** Set when the front door is deployed: proves a request came through CloudFront. */
const originVerifySecret = optionalEnv('ORIGIN_VERIFY_SECRET');

export const handler = httpHandler({
  path: /^\/api\/chat\/start\/?$/,
  methods: {
    POST: async (request) => ({
      status: 201,
      body: await startChat(
        {
          store,
          gateway,
          clock: systemClock,
          logger: request.logger,
          wsUrlFor: (roomId) => wsUrlTemplate.replace('{room_id}', roomId),
        },
        { body: bodyText(request.event), sourceIp: sourceAddress(request.event, originVerifySecret) },
      ),
    }),
  },
});
