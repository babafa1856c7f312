import { LocalStackError } from './errors.js';
import type { TemplateResource } from './cloud-assembly.js';

/**
 * An HTTP API's CorsConfiguration, read from the template and applied as API Gateway
 * applies it ("Configure CORS for HTTP APIs", API Gateway developer guide):
 * - a preflight is an OPTIONS request with `Origin` and `Access-Control-Request-Method`;
 *   API Gateway answers it itself when no route matches OPTIONS (a route that does, ANY
 *   included, receives it instead: aws/serverless-application-model#1603);
 * - to other requests with an allowed `Origin` it adds the configured headers to the
 *   integration's response, and it drops CORS headers the integration set itself;
 * - without a configuration nothing is added and OPTIONS is routed like any method.
 * An origin that is not allowed gets no Access-Control-* header at all, so the browser
 * refuses the response; the allowed methods and headers are sent as configured and the
 * browser checks the request against them.
 */
export interface CorsRules {
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAge?: number;
  allowCredentials: boolean;
}

export function readCorsRules(apiId: string, api: TemplateResource): CorsRules | undefined {
  const config = api.Properties?.CorsConfiguration as Record<string, unknown> | undefined;
  if (config === undefined) return undefined;
  const strings = (key: string): string[] => {
    const value = config[key] ?? [];
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      throw new LocalStackError(`HTTP API ${apiId}: CorsConfiguration.${key} must be a literal list of strings`);
    }
    return value as string[];
  };
  const maxAge = config.MaxAge;
  if (maxAge !== undefined && typeof maxAge !== 'number')
    throw new LocalStackError(`HTTP API ${apiId}: CorsConfiguration.MaxAge is not a number`);
  return {
    allowOrigins: strings('AllowOrigins'),
    allowMethods: strings('AllowMethods').map((m) => m.toUpperCase()),
    allowHeaders: strings('AllowHeaders').map((h) => h.toLowerCase()),
    exposeHeaders: strings('ExposeHeaders'),
    maxAge,
    allowCredentials: config.AllowCredentials === true,
  };
}

type Headers = Record<string, string | undefined>;

export class HttpApiCors {
  constructor(private readonly rules: CorsRules) {}

  /** OPTIONS with Origin and Access-Control-Request-Method (lower-case header names). */
  static isPreflight(method: string, headers: Headers): boolean {
    return method === 'OPTIONS' && !!headers.origin && !!headers['access-control-request-method'];
  }

  /** The gateway's own answer to a preflight no route takes: 204, with headers only for an allowed origin. */
  preflight(headers: Headers): Record<string, string> {
    const origin = headers.origin!;
    const allowOrigin = this.allowOrigin(origin);
    if (!allowOrigin) return {};
    const requestedHeaders = headers['access-control-request-headers'] ?? '';
    const answer: Record<string, string> = {
      ...allowOrigin,
      'access-control-allow-methods': this.rules.allowMethods.includes('*')
        ? headers['access-control-request-method']!
        : this.rules.allowMethods.join(','),
    };
    if (this.rules.allowHeaders.includes('*')) {
      if (requestedHeaders) answer['access-control-allow-headers'] = requestedHeaders;
    } else if (this.rules.allowHeaders.length > 0) {
      answer['access-control-allow-headers'] = this.rules.allowHeaders.join(',');
    }
    if (this.rules.maxAge !== undefined) answer['access-control-max-age'] = String(this.rules.maxAge);
    return answer;
  }

  /** Headers added to an integration's response to a request with this Origin. */
  responseHeaders(origin: string | undefined): Record<string, string> {
    const allowOrigin = origin ? this.allowOrigin(origin) : undefined;
    if (!allowOrigin) return {};
    return {
      ...allowOrigin,
      ...(this.rules.exposeHeaders.length > 0
        ? { 'access-control-expose-headers': this.rules.exposeHeaders.join(',') }
        : {}),
    };
  }

  private allowOrigin(origin: string): Record<string, string> | undefined {
    const credentials: Record<string, string> = this.rules.allowCredentials
      ? { 'access-control-allow-credentials': 'true' }
      : {};
    if (this.rules.allowOrigins.includes('*')) return { 'access-control-allow-origin': '*', ...credentials };
    if (this.rules.allowOrigins.includes(origin))
      return { 'access-control-allow-origin': origin, vary: 'origin', ...credentials };
    return undefined;
  }
}

/** API Gateway ignores CORS headers an integration returns when the API has a CORS configuration. */
export const isCorsHeader = (name: string) => name.toLowerCase().startsWith('access-control-');
