import { describe, expect, it } from 'vitest';
import { messageFunction, type Assembly, type DeployedFunction } from '../../../bench/lib/assembly.js';
import type { CloudAssembly } from '../../../local/cloud-assembly.js';

function deployed(logicalId: string, name: string): DeployedFunction {
  return {
    logicalId,
    name,
    assetDir: `/cdk.out/asset.${name}`,
    modulePath: `/cdk.out/asset.${name}/index.mjs`,
    bundlePath: `/cdk.out/asset.${name}/index.mjs`,
    metafilePath: `/cdk.out/asset.${name}/index.meta.json`,
    entryPoint: `lambdas/handlers/${name}.ts`,
    exportName: 'handler',
    timeoutSeconds: 10,
    memoryMb: 256,
    architecture: 'arm64',
    runtime: 'nodejs24.x',
    environment: {},
    actions: [],
  };
}

function assembly(
  webSocketRoutes: { routeKey: string; functionId: string }[],
  functions: DeployedFunction[],
): Assembly {
  const cloudAssembly = {
    webSocketApi: {
      logicalId: 'Ws',
      stageName: 'prod',
      routeSelectionExpression: '$request.body.action',
      routes: webSocketRoutes.map((r) => ({ ...r, logicalId: `Route${r.functionId}` })),
    },
  } as unknown as CloudAssembly;
  return { cloudAssembly, functions, table: { logicalId: 'Table', properties: {} } };
}

describe("the bench's message function", () => {
  const connect = deployed('HandlersWsConnectAAAAAAAA', 'WsConnect');
  const message = deployed('HandlersWsMessageBBBBBBBB', 'WsMessage');

  it("is the function behind the WebSocket API's $default route, wherever it sits in the template", () => {
    const routes = [
      { routeKey: '$connect', functionId: connect.logicalId },
      { routeKey: '$default', functionId: message.logicalId },
    ];
    expect(messageFunction(assembly(routes, [connect, message]))).toBe(message);
  });

  it('stops the bench instead of measuring another function when no function serves $default', () => {
    const routes = [{ routeKey: '$connect', functionId: connect.logicalId }];
    expect(() => messageFunction(assembly(routes, [connect, message]))).toThrow(/\$default route/);
    expect(() => messageFunction(assembly([{ routeKey: '$default', functionId: 'Elsewhere' }], [connect]))).toThrow(
      /message function/,
    );
  });
});
