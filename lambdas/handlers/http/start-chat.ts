import { gatewayFromEnv } from '../../config/gateway.js';
import { storeFromEnv } from '../../config/store.js';
import { systemClock } from '../../domain/deps.js';
import { startChat } from '../../domain/start-chat.js';
import { optionalEnv, requireEnv } from '../../shared/env.js';
import { bodyText, httpHandler, sourceAddress, type HttpEvent } from '../../shared/http.js';

const store = storeFromEnv();
const gateway = gatewayFromEnv();
/**
 * e.g. wss://chat.example.com/ws/chat/{room_id}/ or wss://<api>/<stage>?room={room_id}; the
 * local stack's ws://{host}/ws/chat/{room_id}/ takes the Host the client used.
 */
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
          metrics: request.metrics,
          wsUrlFor: (roomId) => fillWsUrl(request.event, roomId),
        },
        { body: bodyText(request.event), sourceIp: sourceAddress(request.event, originVerifySecret) },
      ),
    }),
  },
});

/** A Host header that is a host name or address with an optional port, and nothing else. */
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * The room's WebSocket URL. `{host}` appears only in the local stack's template (deployed ones
 * hold a fixed domain): there it becomes the Host the client used, which the local gateway
 * has checked is one of its own names, so a phone that reached the laptop by its address
 * gets a URL with that address.
 */
function fillWsUrl(event: HttpEvent, roomId: string): string {
  let url = wsUrlTemplate;
  if (url.includes('{host}')) {
    const host = event.headers?.host;
    url = url.replace('{host}', host && HOST.test(host) ? host : event.requestContext.domainName);
  }
  return url.replace('{room_id}', roomId);
}
