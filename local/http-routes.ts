/**
 * API Gateway HTTP API route matching, on the route keys read from the template:
 * `METHOD /path`, `ANY /path`, `{param}` (one non-empty segment), a final greedy
 * `{name+}` (the rest of the path; empty after a trailing slash, which is how the stack
 * serves the clients' `/api/chat/start/`), and `$default`. When several routes match, the
 * most specific wins: at the first segment where they differ a literal beats a variable,
 * which beats a greedy variable; `$default` comes last; at equal paths a route for the
 * method beats ANY. No match is API Gateway's 404 {"message":"Not Found"}.
 */

type Segment = { literal: string } | { param: string };

export interface CompiledRoute<T> {
  routeKey: string;
  method: string;
  segments: Segment[];
  greedy?: string;
  isDefault: boolean;
  target: T;
}

export interface RouteMatch<T> {
  route: CompiledRoute<T>;
  pathParameters?: Record<string, string>;
}

export function compileRoute<T>(routeKey: string, target: T): CompiledRoute<T> {
  if (routeKey === '$default') return { routeKey, method: 'ANY', segments: [], isDefault: true, target };
  const match = /^([A-Z]+) (\/.*)$/.exec(routeKey);
  if (!match) throw new Error(`Route key "${routeKey}" is not "METHOD /path"`);
  const [, method, path] = match as unknown as [string, string, string];
  const parts = path === '/' ? [] : path.slice(1).split('/');
  let greedy: string | undefined;
  const segments: Segment[] = [];
  parts.forEach((part, index) => {
    const variable = /^\{([^{}]+?)(\+?)\}$/.exec(part);
    if (variable?.[2] === '+') {
      if (index !== parts.length - 1) throw new Error(`Route key "${routeKey}": a greedy variable must come last`);
      greedy = variable[1];
    } else if (variable) {
      segments.push({ param: variable[1]! });
    } else {
      segments.push({ literal: part });
    }
  });
  return { routeKey, method, segments, greedy, isDefault: false, target };
}

const decode = (value: string) => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

function matchPath<T>(route: CompiledRoute<T>, parts: string[]): Record<string, string> | undefined {
  const { segments, greedy } = route;
  if (greedy === undefined ? parts.length !== segments.length : parts.length <= segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i += 1) {
    const segment = segments[i]!;
    const part = parts[i]!;
    if ('literal' in segment) {
      if (segment.literal !== part) return undefined;
    } else {
      if (part === '') return undefined;
      params[segment.param] = decode(part);
    }
  }
  if (greedy !== undefined) params[greedy] = decode(parts.slice(segments.length).join('/'));
  return params;
}

/** Segment kinds in path order: a literal (0) is more specific than a variable (1), than greedy (2). */
const kinds = <T>(route: CompiledRoute<T>): number[] => [
  ...route.segments.map((s) => ('literal' in s ? 0 : 1)),
  ...(route.greedy === undefined ? [] : [2]),
];

/**
 * Negative when a is more specific than b. Compared segment by segment from the left, so
 * for /rooms/X/messages/ the route /rooms/{roomId}/messages/{proxy+} beats /rooms/{proxy+},
 * as /pets/dog/{id} beats /pets/{proxy+} in API Gateway's own example.
 */
function bySpecificity<T>(a: CompiledRoute<T>, b: CompiledRoute<T>): number {
  if (a.isDefault !== b.isDefault) return a.isDefault ? 1 : -1;
  const [ka, kb] = [kinds(a), kinds(b)];
  for (let i = 0; i < Math.min(ka.length, kb.length); i += 1) {
    if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
  }
  if (ka.length !== kb.length) return kb.length - ka.length;
  if ((a.method === 'ANY') !== (b.method === 'ANY')) return a.method === 'ANY' ? 1 : -1;
  return 0;
}

export class HttpRouter<T> {
  readonly routes: CompiledRoute<T>[];

  constructor(routes: { routeKey: string; target: T }[]) {
    const keys = new Set<string>();
    for (const { routeKey } of routes) {
      if (keys.has(routeKey)) throw new Error(`Route key "${routeKey}" appears twice`);
      keys.add(routeKey);
    }
    this.routes = routes.map((r) => compileRoute(r.routeKey, r.target)).sort(bySpecificity);
  }

  match(method: string, rawPath: string): RouteMatch<T> | undefined {
    const parts = rawPath === '/' ? [] : rawPath.slice(1).split('/');
    for (const route of this.routes) {
      if (route.method !== 'ANY' && route.method !== method) continue;
      if (route.isDefault) return { route };
      const params = matchPath(route, parts);
      if (params) return { route, pathParameters: Object.keys(params).length > 0 ? params : undefined };
    }
    return undefined;
  }
}
