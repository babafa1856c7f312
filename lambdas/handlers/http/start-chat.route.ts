import type { ChatStore, Clock, ConnectionGateway } from '../../domain/ports.js';
import { startChat } from '../../domain/start-chat.js';
import { bodyText, httpHandler, sourceAddress, type HttpEvent } from '../../shared/http.js';
import { parseJsonObject } from './parse.js';

export interface StartChatHandlerDeps {
  store: ChatStore;
  gateway: ConnectionGateway;
  clock: Clock;
  /**
   * e.g. wss://chat.example.com/ws/chat/{room_id}/ or wss://<api>/<stage>?room={room_id}; the
   * local stack's ws://{host}/ws/chat/{room_id}/ takes the Host the client used.
   */
  wsUrlTemplate: string;
  /** Set when the front door is deployed: proves a request came through CloudFront. */
  originVerifySecret?: string;
}

/** POST /api/chat/start/: the body's fields and the viewer's address in, the room's URLs out. */
export const makeHandler = (deps: StartChatHandlerDeps) =>
  httpHandler({
    path: /^\/api\/chat\/start\/?$/,
    methods: {
      POST: async (request) => {
        const body = parseJsonObject(bodyText(request.event));
        return {
          status: 201,
          body: await startChat(
            {
              store: deps.store,
              gateway: deps.gateway,
              clock: deps.clock,
              logger: request.logger,
              metrics: request.metrics,
              wsUrlFor: (roomId) => fillWsUrl(deps.wsUrlTemplate, request.event, roomId),
            },
            {
              userId: body.user_id,
              visitorName: body.visitor_name,
              sourceIp: sourceAddress(request.event, deps.originVerifySecret),
            },
          ),
        };
      },
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
function fillWsUrl(template: string, event: HttpEvent, roomId: string): string {
  let url = template;
  if (url.includes('{host}')) {
    const host = event.headers?.host;
    url = url.replace('{host}', host && HOST.test(host) ? host : event.requestContext.domainName);
  }
  return url.replace('{room_id}', roomId);
}
