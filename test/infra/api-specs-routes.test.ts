import { beforeAll, describe, expect, it } from 'vitest';
import { loadApiSpecs } from '../support/api-specs.js';
import { synthChatStack } from './synth.js';

/**
 * The specs cover what the stack serves, and serve nothing it does not: every route of the
 * synthesized HTTP API has a path and method in docs/openapi.yaml and every documented path and
 * method is served by a route; every route of the WebSocket API is named by docs/asyncapi.yaml
 * (`x-api-gateway-routes` of the channels, `x-api-gateway-route` of the operations) and every
 * route named there exists.
 */
type Resource = { Type: string; Properties: Record<string, any> };
const specs = loadApiSpecs();
let httpRouteKeys: string[];
let webSocketRouteKeys: string[];
let httpApiHasCors: boolean;

beforeAll(() => {
  const { Resources } = synthChatStack().template().toJSON() as { Resources: Record<string, Resource> };
  const apiOfProtocol = (protocol: string) =>
    Object.entries(Resources)
      .filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Api' && r.Properties.ProtocolType === protocol)
      .map(([id]) => id);
  const [httpApi] = apiOfProtocol('HTTP');
  const [webSocketApi] = apiOfProtocol('WEBSOCKET');
  const routesOf = (apiId: string | undefined) =>
    Object.values(Resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties.ApiId?.Ref === apiId)
      .map((r) => r.Properties.RouteKey as string);
  httpRouteKeys = routesOf(httpApi);
  webSocketRouteKeys = routesOf(webSocketApi);
  httpApiHasCors = Resources[httpApi!]?.Properties.CorsConfiguration !== undefined;
});

/** `/api/chat/rooms/{roomId}/{proxy+}` serves the spec's `/api/chat/rooms/{room_id}/`: the slash form of the resource. */
const specShape = (path: string) =>
  `${path.replace(/\/\{proxy\+\}$/, '').replace(/\/$/, '')}/`.replace(/\{[^}]+\}/g, '{}');

describe('docs/openapi.yaml and the HTTP API', () => {
  it('documents every route', () => {
    expect(httpRouteKeys.length).toBeGreaterThan(0);
    const documented = new Set(specs.operations.map((op) => `${op.method.toUpperCase()} ${specShape(op.path)}`));
    const undocumented = httpRouteKeys.filter((key) => {
      const [method, path] = key.split(' ') as [string, string];
      return !documented.has(`${method} ${specShape(path)}`);
    });
    expect(undocumented, 'routes without a path and method in docs/openapi.yaml').toEqual([]);
  });

  it('serves every documented path and method (OPTIONS by the CORS configuration)', () => {
    const served = new Set(
      httpRouteKeys.map((key) => {
        const [method, path] = key.split(' ') as [string, string];
        return `${method} ${specShape(path)}`;
      }),
    );
    const unserved = specs.operations
      .filter((op) => !(op.method === 'options' && httpApiHasCors))
      .map((op) => `${op.method.toUpperCase()} ${op.path}`)
      .filter((key) => {
        const [method, path] = key.split(' ') as [string, string];
        return !served.has(`${method} ${specShape(path)}`);
      });
    expect(unserved, 'documented operations no route serves').toEqual([]);
  });

  it('serves each resource with and without the trailing slash', () => {
    for (const key of httpRouteKeys.filter((k) => !k.endsWith('/{proxy+}'))) {
      expect(httpRouteKeys, key).toContain(`${key}/{proxy+}`);
    }
  });
});

describe('docs/asyncapi.yaml and the WebSocket API', () => {
  const namedRoutes = () => {
    const channels = Object.entries(specs.asyncapi.channels as Record<string, any>).flatMap(([name, channel]) =>
      ((channel['x-api-gateway-routes'] ?? []) as string[]).map((route) => ({ route, by: `channel ${name}` })),
    );
    const operations = Object.entries(specs.asyncapi.operations as Record<string, any>)
      .filter(([, op]) => op['x-api-gateway-route'])
      .map(([name, op]) => ({ route: op['x-api-gateway-route'] as string, by: `operation ${name}` }));
    return [...channels, ...operations];
  };

  it('names every route', () => {
    expect(webSocketRouteKeys.sort()).toEqual(['$connect', '$default', '$disconnect']);
    const named = new Set(namedRoutes().map((n) => n.route));
    expect(webSocketRouteKeys.filter((key) => !named.has(key))).toEqual([]);
  });

  it('names only routes that exist', () => {
    expect(namedRoutes().filter((n) => !webSocketRouteKeys.includes(n.route))).toEqual([]);
  });

  it('sends every client frame to $default and every channel has its handshake and close', () => {
    for (const [name, op] of Object.entries(specs.asyncapi.operations as Record<string, any>)) {
      expect(op['x-api-gateway-route'], name).toBe(op.action === 'send' ? '$default' : undefined);
    }
    for (const [name, channel] of Object.entries(specs.asyncapi.channels as Record<string, any>)) {
      expect(channel['x-api-gateway-routes'], name).toEqual(['$connect', '$disconnect']);
    }
  });
});
