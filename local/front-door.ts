import type { IncomingMessage } from 'node:http';
import type { CloudFrontQueryValue, ViewerRequest, ViewerRequestResult } from '../lib/front-door/ws-viewer-request.js';
import { LocalStackError } from './errors.js';
import { refTo, type Template, type TemplateResource } from './cloud-assembly.js';

/**
 * Everything the CloudFront front door does locally, for both gateways: how the edge splits
 * a URL, the /ws/* behaviour's CloudFront Function run on a handshake with the event
 * CloudFront builds, and what the distribution of the template does to a request before the
 * origin sees it, read from the template: which behaviour a path falls under (path patterns, the
 * default last), which methods that behaviour allows (CloudFront answers 403 otherwise),
 * and which viewer headers reach the origin. CloudFront forwards only the headers named
 * in the behaviour's cache policy and origin request policy; the `CloudFront-*` headers in
 * a policy are ones CloudFront generates (a viewer's own value never passes); and it sets
 * the origin's custom headers, replacing any viewer header of that name.
 * (CloudFront developer guide: "Control origin requests with a policy", "Add CloudFront
 * request headers", "Add custom headers to origin requests".)
 */

/** Viewer headers that are the request's framing or connection, not policy-controlled. */
const ALWAYS_FORWARDED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'upgrade',
  'connection',
  'x-forwarded-for',
]);

type HeaderRule =
  | { forward: 'listed'; names: Set<string> }
  | { forward: 'all-except'; names: Set<string> }
  | { forward: 'all'; names: Set<string> };

export interface FrontDoorBehavior {
  /** CloudFront path pattern; '*' for the default behaviour. */
  pathPattern: string;
  allowedMethods: string[];
  /** Viewer headers forwarded to the origin (lower case). */
  headers: HeaderRule;
  /** CloudFront-generated headers the policies ask for (lower case, e.g. cloudfront-viewer-address). */
  cloudFrontHeaders: string[];
  /** Custom headers CloudFront adds for this behaviour's origin (lower case names). */
  originHeaders: string[];
}

export interface FrontDoorRules {
  distributionId: string;
  /** In CloudFront's order: the path-pattern behaviours as listed, then the default. */
  behaviors: FrontDoorBehavior[];
}

/** The template's one CloudFront distribution, or undefined when it has none (frontDoor=false). */
export function readFrontDoor(template: Template): FrontDoorRules | undefined {
  const resources = template.Resources ?? {};
  const distributions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudFront::Distribution');
  if (distributions.length === 0) return undefined;
  if (distributions.length > 1)
    throw new LocalStackError('The local front door plays one CloudFront distribution; the template has several');
  const [distributionId, distribution] = distributions[0]!;
  const config = (distribution.Properties?.DistributionConfig ?? {}) as Record<string, any>;
  const origins = new Map<string, string[]>(
    ((config.Origins ?? []) as { Id: string; OriginCustomHeaders?: { HeaderName: string }[] }[]).map((origin) => [
      origin.Id,
      (origin.OriginCustomHeaders ?? []).map((h) =>
        literal(h.HeaderName, `${distributionId} origin ${origin.Id} header name`).toLowerCase(),
      ),
    ]),
  );
  const behavior = (raw: Record<string, any>, pathPattern: string): FrontDoorBehavior => {
    const where = `${distributionId} behaviour ${pathPattern}`;
    const cache = policyConfig(resources, raw.CachePolicyId, 'AWS::CloudFront::CachePolicy', where);
    const cacheHeaders = cache?.ParametersInCacheKeyAndForwardedToOrigin?.HeadersConfig;
    const request = policyConfig(resources, raw.OriginRequestPolicyId, 'AWS::CloudFront::OriginRequestPolicy', where);
    const requestHeaders = request?.HeadersConfig;
    if (!cache && raw.ForwardedValues)
      throw new LocalStackError(`${where}: legacy ForwardedValues are not served locally; use a cache policy`);
    const listed = (config: { Headers?: unknown[] } | undefined) =>
      (config?.Headers ?? []).map((name) => literal(name, `${where} header`).toLowerCase());
    const all = [...listed(cacheHeaders), ...listed(requestHeaders)];
    const viewerNames = new Set(all.filter((name) => !name.startsWith('cloudfront-')));
    let headers: HeaderRule;
    switch (requestHeaders?.HeaderBehavior ?? 'none') {
      case 'none':
      case 'whitelist':
        headers = { forward: 'listed', names: viewerNames };
        break;
      case 'allViewer':
      case 'allViewerAndWhitelistCloudFront':
        headers = { forward: 'all', names: new Set() };
        break;
      case 'allExcept': {
        // A header of the cache key reaches the origin whatever the origin request policy says.
        const cacheKey = new Set(listed(cacheHeaders));
        headers = {
          forward: 'all-except',
          names: new Set(listed(requestHeaders).filter((name) => !cacheKey.has(name))),
        };
        break;
      }
      default:
        throw new LocalStackError(
          `${where}: header behaviour ${JSON.stringify(requestHeaders?.HeaderBehavior)} is not served locally`,
        );
    }
    return {
      pathPattern,
      allowedMethods: ((raw.AllowedMethods ?? ['GET', 'HEAD']) as string[]).map((m) => m.toUpperCase()),
      headers,
      cloudFrontHeaders: all.filter((name) => name.startsWith('cloudfront-')),
      originHeaders: origins.get(raw.TargetOriginId) ?? [],
    };
  };
  const behaviors = ((config.CacheBehaviors ?? []) as Record<string, any>[]).map((raw) =>
    behavior(raw, literal(raw.PathPattern, `${distributionId} path pattern`)),
  );
  behaviors.push(behavior(config.DefaultCacheBehavior ?? {}, '*'));
  return { distributionId, behaviors };
}

function literal(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new LocalStackError(`${what} is not a literal string in the template`);
  return value;
}

function policyConfig(
  resources: Record<string, TemplateResource>,
  id: unknown,
  type: string,
  where: string,
): Record<string, any> | undefined {
  if (id === undefined) return undefined;
  const logicalId = refTo(id);
  const resource = logicalId ? resources[logicalId] : undefined;
  if (!resource || resource.Type !== type) {
    throw new LocalStackError(
      `${where}: ${type} ${JSON.stringify(id)} is not a policy of the template (managed policies are not served locally)`,
    );
  }
  const key = type === 'AWS::CloudFront::CachePolicy' ? 'CachePolicyConfig' : 'OriginRequestPolicyConfig';
  return resource.Properties?.[key] as Record<string, any>;
}

/** CloudFront path patterns: `*` any characters, `?` one; case-sensitive. */
function patternMatches(pattern: string, path: string): boolean {
  if (pattern === '*') return true;
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source.startsWith('/') ? source : `/${source}`}$`).test(path);
}

/** One request as it leaves CloudFront for the origin. */
export interface OriginRequest {
  behavior: FrontDoorBehavior;
  /** Header name/value pairs the origin receives, in the viewer's order, then CloudFront's own. */
  headers: [string, string][];
}

/**
 * The distribution at run time. `generated` gives the values CloudFront itself computes or
 * the stack resolved (the viewer address, each origin custom header's value).
 */
export class LocalFrontDoor {
  constructor(
    private readonly rules: FrontDoorRules,
    private readonly originHeaderValues: Record<string, string>,
  ) {
    for (const behavior of rules.behaviors) {
      const missing = behavior.originHeaders.filter((name) => !(name in originHeaderValues));
      if (missing.length > 0) {
        throw new LocalStackError(
          `${rules.distributionId}: no local value for the origin header(s) ${missing.join(', ')}`,
        );
      }
    }
  }

  behaviorFor(path: string): FrontDoorBehavior {
    return this.rules.behaviors.find((b) => patternMatches(b.pathPattern, path))!;
  }

  /** Undefined when CloudFront refuses the method on that path (403). */
  originRequest(
    method: string,
    path: string,
    rawHeaders: string[],
    viewer: { ip: string; port: number },
  ): OriginRequest | undefined {
    const behavior = this.behaviorFor(path);
    if (!behavior.allowedMethods.includes(method.toUpperCase())) return undefined;
    return { behavior, headers: this.forwardedHeaders(behavior, rawHeaders, viewer) };
  }

  forwardedHeaders(
    behavior: FrontDoorBehavior,
    rawHeaders: string[],
    viewer: { ip: string; port: number },
  ): [string, string][] {
    const replaced = new Set([...behavior.originHeaders, ...behavior.cloudFrontHeaders]);
    const headers: [string, string][] = [];
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      const lower = name.toLowerCase();
      if (replaced.has(lower) || lower.startsWith('cloudfront-')) continue;
      if (ALWAYS_FORWARDED.has(lower) || this.forwards(behavior.headers, lower))
        headers.push([name, rawHeaders[i + 1]!]);
    }
    for (const name of behavior.cloudFrontHeaders) {
      if (name === 'cloudfront-viewer-address') headers.push([name, `${viewer.ip}:${viewer.port}`]);
      else
        throw new LocalStackError(
          `${this.rules.distributionId}: the CloudFront header ${name} is not generated locally`,
        );
    }
    for (const name of behavior.originHeaders) headers.push([name, this.originHeaderValues[name]!]);
    return headers;
  }

  private forwards(rule: HeaderRule, name: string): boolean {
    if (rule.forward === 'all') return true;
    if (rule.forward === 'all-except') return !rule.names.has(name);
    return rule.names.has(name);
  }
}

/** A request URL as the edge splits it: the path, and the raw query after the first '?'. */
export function splitUrl(url: string | undefined): { path: string; rawQuery: string } {
  const whole = url ?? '/';
  const queryAt = whole.indexOf('?');
  return queryAt === -1
    ? { path: whole, rawQuery: '' }
    : { path: whole.slice(0, queryAt), rawQuery: whole.slice(queryAt + 1) };
}

/** CloudFront's body for a method the path's behaviour does not allow (status 403). */
export const METHOD_NOT_ALLOWED = {
  message: 'This distribution is not configured to allow the HTTP request method that was used for this request.',
};

/** Only the distribution's /ws/* behaviour leads to the WebSocket API; anything else is not a socket (404). */
export const isWebSocketPath = (path: string): boolean => path.startsWith('/ws/');

export type ViewerRequestFunction = (
  event: { request: ViewerRequest } & Record<string, unknown>,
) => ViewerRequestResult;

/**
 * Runs the /ws/* behaviour's CloudFront Function on a handshake, with the event CloudFront
 * builds, and checks that the rewrite lands on the stage (the origin's only path; any other
 * is API Gateway's 403). The query the origin receives, or the status the edge answers.
 */
export function runViewerRequest(
  viewerRequest: ViewerRequestFunction,
  stagePath: string,
  request: { req: IncomingMessage; path: string; rawQuery: string; sourceIp: string },
): { rawQuery: string } | { status: number } {
  const edge = viewerRequest({
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: request.sourceIp },
    request: {
      method: 'GET',
      uri: request.path,
      querystring: toCloudFrontQuery(request.rawQuery),
      headers: toCloudFrontHeaders(request.req),
    },
  });
  if ('statusCode' in edge) return { status: edge.statusCode };
  if (edge.uri !== stagePath) return { status: 403 };
  return { rawQuery: fromCloudFrontQuery(edge.querystring) };
}

/** CloudFront hands the function the query as parsed but still-encoded key/value objects. */
function toCloudFrontQuery(rawQuery: string): Record<string, CloudFrontQueryValue> {
  const query: Record<string, CloudFrontQueryValue> = {};
  for (const pair of rawQuery.split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    const existing = query[key];
    if (!existing) query[key] = { value };
    else existing.multiValue = [...(existing.multiValue ?? [{ value: existing.value }]), { value }];
  }
  return query;
}

/** And forwards what the function left (an object, or a string it built) to the origin. */
function fromCloudFrontQuery(query: ViewerRequest['querystring'] | string | undefined): string {
  if (typeof query === 'string') return query;
  const pairs: string[] = [];
  for (const [key, entry] of Object.entries(query ?? {})) {
    for (const { value } of entry.multiValue ?? [entry]) pairs.push(`${key}=${value}`);
  }
  return pairs.join('&');
}

function toCloudFrontHeaders(req: IncomingMessage): Record<string, { value: string }> {
  const headers: Record<string, { value: string }> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = { value: Array.isArray(value) ? value.join(',') : value };
  }
  return headers;
}
