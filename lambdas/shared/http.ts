import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ChatError, MethodNotAllowedError, NotFoundError, TooManyRequestsError } from '../domain/errors.js';
import type { ChatMetrics } from '../domain/ports.js';
import type { Continuation } from '../domain/rooms.js';
import { invocationMetrics } from '../adapters/powertools-metrics.js';
import { describeError } from './errors.js';
import { loggerFor, type Logger } from './logger.js';
import { ORIGIN_VERIFY_HEADER } from './origin-verify.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface HttpRequest {
  event: HttpEvent;
  /** Capture groups of the route's path pattern (e.g. the room id). */
  params: string[];
  query: Record<string, string | undefined>;
  /** Header lookup by lower-case name (payload v2 already lower-cases them). */
  header(name: string): string | undefined;
  logger: Logger;
  /** Flushed once when the invocation ends, whatever its outcome. */
  metrics: ChatMetrics;
}

export interface HttpResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

type MethodHandler = (request: HttpRequest) => Promise<HttpResponse>;

export interface HttpRouteSpec {
  /** The client API's path (docs/api.md); the trailing slash is optional, as the clients send it. */
  path: RegExp;
  methods: Partial<Record<'GET' | 'POST', MethodHandler>>;
}

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/**
 * Builds a Lambda handler for one REST resource. Routing details (a trailing slash or not,
 * the wrong method, extra path segments) and the mapping of typed errors to statuses and
 * `{"detail": ...}` bodies live here and nowhere else. Unknown errors become a bare 500.
 */
export function httpHandler(spec: HttpRouteSpec) {
  const allowed = Object.keys(spec.methods);
  return async (event: HttpEvent, context?: Context): Promise<HttpResult> => {
    const logger = loggerFor(
      { requestId: event.requestContext?.requestId ?? context?.awsRequestId, route: event.routeKey },
      context,
    );
    const metrics = invocationMetrics();
    const method = event.requestContext.http.method.toUpperCase();
    try {
      const match = spec.path.exec(event.rawPath);
      if (!match) throw new NotFoundError('Not found.');
      const run = spec.methods[method as keyof HttpRouteSpec['methods']];
      if (!run) throw new MethodNotAllowedError(method, allowed);
      const headers = event.headers ?? {};
      const response = await run({
        event,
        params: match.slice(1),
        query: event.queryStringParameters ?? {},
        header: (name) => headers[name.toLowerCase()],
        logger,
        metrics,
      });
      return json(response.status, response.body, response.headers);
    } catch (error) {
      if (error instanceof ChatError) {
        logger.info('request_refused', { status: error.status, reason: error.message });
        const extra: Record<string, string> | undefined =
          error instanceof MethodNotAllowedError
            ? { allow: error.allowed.join(', ') }
            : error instanceof TooManyRequestsError && error.retryAfterSeconds !== undefined
              ? { 'retry-after': String(error.retryAfterSeconds) }
              : undefined;
        return json(error.status, { detail: error.message }, extra);
      }
      logger.error('request_failed', { error: describeError(error) });
      return json(500, { detail: 'A server error occurred.' });
    } finally {
      metrics.flush();
    }
  };
}

/**
 * A list page as a response: the items as the body and, when the list goes on, a `Link`
 * header (RFC 8288) with the relative URL of the continuing request on the same path.
 */
export function listResponse(path: string, page: { items: unknown[]; continuation?: Continuation }): HttpResponse {
  if (!page.continuation) return { status: 200, body: page.items };
  const { rel, query } = page.continuation;
  const url = `${path}?${new URLSearchParams(query).toString()}`;
  return { status: 200, body: page.items, headers: { link: `<${url}>; rel="${rel}"` } };
}

/** The request body as text (API Gateway base64-encodes bodies it considers binary). */
export const bodyText = (event: HttpEvent): string | undefined =>
  event.body === undefined
    ? undefined
    : event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body;

/**
 * The caller's address, used only for abuse limits. Behind the front door the TCP peer is
 * CloudFront, so the viewer's address is taken from CloudFront-Viewer-Address ("ip:port"),
 * but only when the request also carries the distribution's origin-verify value: a client
 * calling the raw API cannot forge either. X-Forwarded-For is never trusted.
 */
export function sourceAddress(event: HttpEvent, originVerifySecret: string | undefined): string | undefined {
  const headers = event.headers ?? {};
  const viewer = headers['cloudfront-viewer-address'];
  if (originVerifySecret && viewer && sameSecret(headers[ORIGIN_VERIFY_HEADER], originVerifySecret)) {
    const port = viewer.lastIndexOf(':');
    return port > 0 ? viewer.slice(0, port) : viewer;
  }
  return event.requestContext.http.sourceIp || undefined;
}

/** Constant-time comparison (of digests, so lengths never differ). */
function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
