import { connect, type ConnectCredentials } from '../../domain/connections.js';
import type { ChatStore, ConnectionGateway, OwnerTokenVerifier } from '../../domain/ports.js';
import { webSocketHandler } from '../../shared/websocket.js';

export interface ConnectHandlerDeps {
  store: ChatStore;
  verifier: OwnerTokenVerifier;
  gateway: ConnectionGateway;
  /** Open sockets one visitor token, or one owner, may hold in one room. */
  socketsPerRoomMember: number;
  /** When the handshake carries no connectedAt (it always does on API Gateway). */
  now?: () => number;
}

/** The guide's handshake query: `?visitor=` or `?token=` with the room; `?inbox=1&token=` for the inbox. */
export function handshakeCredentials(query: Record<string, string | undefined>): ConnectCredentials {
  return {
    inbox: query.inbox === '1' || query.inbox === 'true',
    room: query.room,
    ownerToken: query.token,
    visitorToken: query.visitor,
  };
}

/** $connect: the handshake's query and time in; a refusal's status becomes the handshake's answer. */
export const makeHandler = ({ now = Date.now, ...deps }: ConnectHandlerDeps) =>
  webSocketHandler(async (event, logger, metrics) => {
    await connect(
      { ...deps, logger, metrics },
      {
        connectionId: event.requestContext.connectionId,
        credentials: handshakeCredentials(event.queryStringParameters ?? {}),
        connectedAtMs: (event.requestContext as { connectedAt?: number }).connectedAt ?? now(),
      },
    );
  });
