import { EventBridgePublisher } from '../adapters/eventbridge-publisher.js';
import { optionalEnv } from './env.js';

/** The push hook is on when the stack names an event bus. */
export function eventsFromEnv(): EventBridgePublisher | undefined {
  const eventBusName = optionalEnv('eventBusName');
  return eventBusName ? new EventBridgePublisher({ eventBusName }) : undefined;
}
