import { verifierFromEnv } from '../../config/auth.js';
import { gatewayFromEnv } from '../../config/gateway.js';
import { storeFromEnv } from '../../config/store.js';
import { systemClock } from '../../domain/deps.js';
import { makeHandler } from './close-room.route.js';

export { makeHandler };

/** The deployed entry point (CDK `handler: 'handler'`): dependencies from the environment, once per cold start. */
export const handler = makeHandler({
  store: storeFromEnv(),
  verifier: verifierFromEnv(),
  gateway: gatewayFromEnv(),
  clock: systemClock,
});
