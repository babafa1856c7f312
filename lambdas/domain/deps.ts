import type { Logger } from '../shared/logger.js';
import type {
  ChatEventPublisher,
  ChatMetrics,
  ChatStore,
  Clock,
  ConnectionGateway,
  OwnerTokenVerifier,
} from './ports.js';

/** Everything a use case may need; each use case asks only for the part it uses. */
export interface ChatDeps {
  store: ChatStore;
  gateway: ConnectionGateway;
  verifier: OwnerTokenVerifier;
  events?: ChatEventPublisher;
  clock: Clock;
  logger: Logger;
  metrics: ChatMetrics;
}

export const systemClock: Clock = { now: () => new Date() };
