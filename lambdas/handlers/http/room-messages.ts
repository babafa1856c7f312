import { verifierFromEnv } from '../../config/auth.js';
import { storeFromEnv } from '../../config/store.js';
import { makeHandler } from './room-messages.route.js';

export { makeHandler };

/** The deployed entry point (CDK `handler: 'handler'`): dependencies from the environment, once per cold start. */
export const handler = makeHandler({ store: storeFromEnv(), verifier: verifierFromEnv() });
