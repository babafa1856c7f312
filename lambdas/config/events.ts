import { EventBridgePublisher } from '../adapters/eventbridge-publisher.js';
import { optionalEnv } from '../shared/env.js';

/** The push hook is on when EVENT_BUS_NAME is set. */
export function eventsFromEnv(): EventBridgePublisher | undefined {
  const eventBusName = optionalEnv('EVENT_BUS_NAME');
  return eventBusName ? new EventBridgePublisher({ eventBusName }) : undefined;
}
