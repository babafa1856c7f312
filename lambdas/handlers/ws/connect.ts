import { verifierFromEnv } from '../../config/auth.js';
import { socketsPerRoomMemberFromEnv } from '../../config/connections.js';
import { gatewayFromEnv } from '../../config/gateway.js';
import { storeFromEnv } from '../../config/store.js';
import { connect } from '../../domain/connections.js';
import { webSocketHandler } from '../../shared/websocket.js';

const deps = {
  store: storeFromEnv(),
  verifier: verifierFromEnv(),
  gateway: gatewayFromEnv(),
  socketsPerRoomMember: socketsPerRoomMemberFromEnv(),
};

export const handler = webSocketHandler(async (event, logger, metrics) => {
  await connect(
    { ...deps, logger, metrics },
    {
      connectionId: event.requestContext.connectionId,
      query: event.queryStringParameters ?? {},
      connectedAtMs: (event.requestContext as { connectedAt?: number }).connectedAt ?? Date.now(),
    },
  );
});
