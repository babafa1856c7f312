/**
 * The chat's own CloudWatch metrics, named once: the functions emit them (embedded metric
 * format, adapters/powertools-metrics.ts) and the alarms and dashboard read them
 * (lib/constructs/monitoring.ts), so neither can rename one without the other noticing.
 * Dependency-free: the CDK app imports it too.
 */
export const METRICS_NAMESPACE = 'CarChat';

/**
 * The Powertools service name: every log line's `service`, and the single dimension of every
 * metric (never a room, owner or connection id: one time series per metric, not per user).
 */
export const SERVICE_NAME = 'carchat';

/** Each metric counts events (unit Count); the doc says what one event is. */
export const CHAT_METRICS = {
  /** A message written for the first time (a retried client_id is not counted again). */
  MessagesStored: 'MessagesStored',
  /** A broadcast post that reached its socket. */
  PostsSent: 'PostsSent',
  /** A broadcast post whose socket was gone (its row is then deleted). */
  PostsGone: 'PostsGone',
  /** A broadcast post that failed otherwise (throttled, a network error...). */
  PostsFailed: 'PostsFailed',
  /** A push-hook event that could not be published. */
  PushEventsFailed: 'PushEventsFailed',
  /** A frame answered with code `internal` (a store or post failure). */
  FramesAnsweredInternal: 'FramesAnsweredInternal',
  /** A frame refused by the per-socket frame rate limit. */
  FramesRateLimited: 'FramesRateLimited',
  /** A room start refused by the per-address limit. */
  RoomStartsLimitedPerAddress: 'RoomStartsLimitedPerAddress',
  /** A room start refused by the per-owner limit. */
  RoomStartsLimitedPerOwner: 'RoomStartsLimitedPerOwner',
  /** A socket refused, or an overtaken one closed, because its member held the most sockets allowed in the room. */
  SocketsOverMemberLimit: 'SocketsOverMemberLimit',
  /** A message refused because its room held the most messages it may. */
  MessagesRefusedRoomFull: 'MessagesRefusedRoomFull',
} as const;

export type ChatMetricName = (typeof CHAT_METRICS)[keyof typeof CHAT_METRICS];
