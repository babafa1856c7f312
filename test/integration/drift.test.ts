import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASSEMBLY_DIR, ensureSynthesized, templatePathOf } from '../../local/synth.js';
import { localClientConfig } from './support/dynamodb-backend.js';
import { useLocalStack } from './support/local-stack-fixture.js';

/**
 * The local gateway must serve exactly what `cdk deploy` would deploy. This file reads the
 * synthesized template on its own (plain JSON, none of the gateway's parsing) and compares
 * it with what the running local stack reports it serves.
 */

type Resource = { Type: string; Properties?: Record<string, any>; Metadata?: Record<string, any> };
let resources: Record<string, Resource>;

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

/** Route key → function logical id, for the API of the given protocol. */
function templateRoutes(protocol: 'HTTP' | 'WEBSOCKET'): Record<string, string> {
  const [apiId] = ofType('AWS::ApiGatewayV2::Api').find(([, r]) => r.Properties?.ProtocolType === protocol)!;
  const routes: Record<string, string> = {};
  for (const [, route] of ofType('AWS::ApiGatewayV2::Route')) {
    if (route.Properties?.ApiId?.Ref !== apiId) continue;
    const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref as string;
    const uri = JSON.stringify(resources[integrationId]!.Properties!.IntegrationUri);
    routes[route.Properties.RouteKey] = /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(uri)![1]!;
  }
  return routes;
}

const served = (routes: { routeKey: string; functionId: string }[]) =>
  Object.fromEntries(routes.map((r) => [r.routeKey, r.functionId]));

beforeAll(async () => {
  await ensureSynthesized();
  resources = JSON.parse(readFileSync(templatePathOf(), 'utf8')).Resources;
});

// Registered after the synthesis above, so the stack serves the template just read.
const local = useLocalStack({ synth: false });

describe('the local stack serves the synthesized template', () => {
  it('loads every Lambda function of the template, from its asset, with its handler export', () => {
    const functions = Object.fromEntries(
      ofType('AWS::Lambda::Function').map(([id, r]) => [
        id,
        {
          modulePath: join(ASSEMBLY_DIR, r.Metadata!['aws:asset:path'], `${r.Properties!.Handler.split('.')[0]}.mjs`),
          exportName: r.Properties!.Handler.split('.')[1],
        },
      ]),
    );
    expect(Object.keys(functions).length).toBeGreaterThan(0);
    expect(local.stack.served.functions).toEqual(functions);
  });

  it('registers exactly the HTTP API route keys, each with the function of its integration', () => {
    expect(served(local.stack.served.httpRoutes)).toEqual(templateRoutes('HTTP'));
  });

  it('registers exactly the WebSocket route keys, each with the function of its integration', () => {
    expect(served(local.stack.served.webSocketRoutes)).toEqual(templateRoutes('WEBSOCKET'));
  });

  it("serves the WebSocket API's stage", () => {
    const [apiId] = ofType('AWS::ApiGatewayV2::Api').find(([, r]) => r.Properties?.ProtocolType === 'WEBSOCKET')!;
    const [, stage] = ofType('AWS::ApiGatewayV2::Stage').find(([, r]) => r.Properties?.ApiId?.Ref === apiId)!;
    expect(local.stack.served.webSocketStage).toBe(stage.Properties!.StageName);
  });

  it("sets every function's environment variable, literals with the template's value", () => {
    const localOverrides = new Set(['POWERTOOLS_LOG_LEVEL']);
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      for (const [name, value] of Object.entries<unknown>(fn.Properties!.Environment?.Variables ?? {})) {
        expect(local.stack.served.environment, `${id} ${name}`).toHaveProperty(name);
        expect(process.env[name], `${id} ${name}`).toBe(local.stack.served.environment[name]);
        if (typeof value === 'string' && !localOverrides.has(name))
          expect(process.env[name], `${id} ${name}`).toBe(value);
      }
    }
  });

  it("creates each table with the template's keys and indexes", async () => {
    const client = new DynamoDBClient(localClientConfig(local.stack.dynamoDbEndpoint));
    const tables = ofType('AWS::DynamoDB::Table');
    expect(Object.keys(local.stack.served.tables).sort()).toEqual(tables.map(([id]) => id).sort());
    for (const [id, table] of tables) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: local.stack.served.tables[id] }));
      const p = table.Properties!;
      expect(Table!.KeySchema).toEqual(p.KeySchema);
      expect(new Set(Table!.AttributeDefinitions)).toEqual(new Set(p.AttributeDefinitions));
      const indexes = (list: any[] | undefined) =>
        (list ?? []).map((i) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection }));
      expect(indexes(Table!.GlobalSecondaryIndexes)).toEqual(indexes(p.GlobalSecondaryIndexes));
      expect(indexes(Table!.LocalSecondaryIndexes)).toEqual(indexes(p.LocalSecondaryIndexes));
    }
    client.destroy();
  });
});
