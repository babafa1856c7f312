/**
 * The reconnect algorithm of docs/api.md ("Reconnecting") as pure functions: the backoff delay,
 * and what to do when a handshake was refused, given what GET /api/chat/rooms/<id>/ answered.
 */

/** Attempt 0 waits about initialDelayMs, each next one twice as long up to maxDelayMs, jittered to [d/2, d]. */
export function backoffDelay(attempt: number, initialDelayMs: number, maxDelayMs: number, random: () => number) {
  const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** attempt);
  return delay / 2 + random() * (delay / 2);
}

/** What the probe after a refused handshake found: an HTTP status (0: no answer) and, on 200, whether the room is active. */
export interface Probe {
  status: number;
  isActive?: boolean;
}

export type RefusalDecision =
  /** Owner, first 401 in a row: getToken() again and reconnect now. */
  | 'retry-now'
  | 'backoff'
  /** The chat is over: 'closed' event, no more retries. */
  | 'closed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found';

/** `unauthorizedBefore`: the previous refusal was already a 401 (no socket opened since). */
export function decideRefusal(probe: Probe, owner: boolean, unauthorizedBefore: boolean): RefusalDecision {
  if (probe.status === 401) return owner && !unauthorizedBefore ? 'retry-now' : 'unauthorized';
  if (probe.status === 403) return 'forbidden';
  if (probe.status === 404) return 'not_found';
  if (probe.status === 200 && probe.isActive === false) return 'closed';
  return 'backoff';
}
