import { optionalEnv, requireEnv } from '../../config/env.js';
import { gatewayFromEnv } from '../../config/gateway.js';
import { storeFromEnv } from '../../config/store.js';
import { systemClock } from '../../domain/deps.js';
import { makeHandler } from './start-chat.route.js';

export { makeHandler };

/** The deployed entry point (CDK `handler: 'handler'`): dependencies from the environment, once per cold start. */
export const handler = makeHandler({
  store: storeFromEnv(),
  gateway: gatewayFromEnv(),
  clock: systemClock,
  wsUrlTemplate: requireEnv('wsUrlTemplate'),
  originVerifySecret: optionalEnv('originVerifySecret'),
});
