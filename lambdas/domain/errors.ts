/**
 * Typed errors of the chat domain. Handlers never build error responses themselves:
 * `shared/http.ts` maps these to HTTP statuses and `{"detail": ...}` bodies in one place,
 * and the WebSocket handlers map them to handshake statuses or `{"error": ...}` frames.
 */
export abstract class ChatError extends Error {
  abstract readonly status: number;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed: bad JSON, a missing or invalid field. */
export class ValidationError extends ChatError {
  readonly status = 400;
}

/** No credentials, or credentials that do not verify (bad signature, expired, wrong type). */
export class UnauthorizedError extends ChatError {
  readonly status = 401;
}

/** Valid credentials that do not open this resource (another owner's room, a closed room). */
export class ForbiddenError extends ChatError {
  readonly status = 403;
}

export class NotFoundError extends ChatError {
  readonly status = 404;
}

export class MethodNotAllowedError extends ChatError {
  readonly status = 405;
  constructor(
    readonly method: string,
    readonly allowed: readonly string[],
  ) {
    super(`Method "${method}" not allowed.`);
  }
}

/** A rate limit was hit; the caller may retry later (after `retryAfterSeconds`, when known). */
export class TooManyRequestsError extends ChatError {
  readonly status = 429;
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The machine-readable reasons a WebSocket frame is refused, as clients see them in `code`. */
export type FrameErrorCode =
  | 'invalid_frame'
  | 'message_too_long'
  | 'blank_message'
  | 'rate_limited'
  | 'room_closed'
  | 'room_full'
  | 'inbox_receives_only'
  | 'unknown_message'
  | 'internal';

/**
 * A frame refused for a reason the sender can act on. `$default` answers it to the sender
 * as `{"error", "code", "client_id"?}`; `disconnect` also closes the sender's socket (a
 * closed room, a socket that keeps flooding).
 */
export class FrameRefusedError extends ChatError {
  readonly status = 400;
  constructor(
    readonly code: Exclude<FrameErrorCode, 'internal'>,
    message: string,
    readonly disconnect = false,
  ) {
    super(message);
  }
}
