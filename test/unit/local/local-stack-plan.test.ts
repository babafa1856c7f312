import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ORIGIN_VERIFY_HEADER } from '../../../lambdas/shared/origin-verify.js';
import { parseTemplate, type CloudAssembly } from '../../../local/cloud-assembly.js';
import { LocalStackError } from '../../../local/errors.js';
import { planLocalStack, type LocalStackPlanOptions } from '../../../local/local-stack-plan.js';

/** A template with what the local stack serves: one function behind both APIs, a table and a secret. */
function assembly(variables: Record<string, unknown>): CloudAssembly {
  const dir = mkdtempSync(join(tmpdir(), 'carchat-plan-'));
  writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => ({ statusCode: 200 });');
  const integration = (api: string) => ({
    Type: 'AWS::ApiGatewayV2::Integration',
    Properties: {
      ApiId: { Ref: api },
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': ['Fn', 'Arn'] },
    },
  });
  const route = (api: string, key: string, integrationId: string) => ({
    Type: 'AWS::ApiGatewayV2::Route',
    Properties: {
      ApiId: { Ref: api },
      RouteKey: key,
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
    },
  });
  const template = {
    Resources: {
      Table: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        },
      },
      Secret: { Type: 'AWS::SecretsManager::Secret' },
      Http: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'HTTP' } },
      Ws: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'WEBSOCKET' } },
      HttpStage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { ApiId: { Ref: 'Http' }, StageName: '$default' } },
      WsStage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { ApiId: { Ref: 'Ws' }, StageName: 'prod' } },
      Fn: {
        Type: 'AWS::Lambda::Function',
        Metadata: { 'aws:asset:path': '.' },
        Properties: { Handler: 'index.handler', Environment: { Variables: variables } },
      },
      HttpIntegration: integration('Http'),
      WsIntegration: integration('Ws'),
      HttpRoute: route('Http', 'ANY /api/chat/start', 'HttpIntegration'),
      WsRoute: route('Ws', '$default', 'WsIntegration'),
    },
  };
  return parseTemplate(template, { assemblyDir: dir, templatePath: join(dir, 'Chat.template.json') });
}

const OPTIONS: LocalStackPlanOptions = {
  stackName: 'Chat',
  region: 'eu-central-1',
  stackId: 'arn:aws:cloudformation:eu-central-1:000000000000:stack/Chat/1234',
};
const VARIABLES = {
  TABLE_NAME: { Ref: 'Table' },
  JWT_SECRET_ARN: { Ref: 'Secret' },
  WS_CALLBACK_URL: { 'Fn::Join': ['', ['https://', { Ref: 'Ws' }, '.execute-api/prod']] },
  MAX_MESSAGE_LENGTH: '4000',
};

describe('the local stack plan', () => {
  it('serves the template: its function, both routes, its table and secret under local names', () => {
    const plan = planLocalStack(assembly(VARIABLES), OPTIONS);
    expect(plan.functions.map((f) => f.logicalId)).toEqual(['Fn']);
    expect(plan.httpApi.routes.map((r) => [r.routeKey, r.functionId])).toEqual([['ANY /api/chat/start', 'Fn']]);
    expect(plan.webSocketApi.routes.map((r) => [r.routeKey, r.functionId])).toEqual([['$default', 'Fn']]);
    expect(plan.webSocketApi.stageName).toBe('prod');
    expect(plan.tables.map((t) => [t.logicalId, t.tableName, t.input.TableName])).toEqual([
      ['Table', 'Chat-Table', 'Chat-Table'],
    ]);
    expect(plan.secretArns).toEqual(['arn:aws:secretsmanager:eu-central-1:000000000000:secret:Chat-Secret-local']);
    expect(plan.frontDoor).toBeUndefined();
  });

  it("gives the functions the template's variables resolved to local values, the services URL once it is known", () => {
    const plan = planLocalStack(assembly(VARIABLES), { ...OPTIONS, environment: { MAX_MESSAGE_LENGTH: '10' } });
    expect(plan.environment('http://127.0.0.1:4567/secret')).toEqual({
      TABLE_NAME: 'Chat-Table',
      JWT_SECRET_ARN: 'arn:aws:secretsmanager:eu-central-1:000000000000:secret:Chat-Secret-local',
      WS_CALLBACK_URL: 'http://127.0.0.1:4567/secret',
      MAX_MESSAGE_LENGTH: '10',
    });
  });

  it('refuses, before anything starts, a variable with no local value and an override of a variable no function has', () => {
    expect(() =>
      planLocalStack(assembly({ ...VARIABLES, HOST: { 'Fn::GetAtt': ['Distribution', 'DomainName'] } }), OPTIONS),
    ).toThrow(/HOST of Fn: Fn::GetAtt/);
    expect(() => planLocalStack(assembly(VARIABLES), { ...OPTIONS, environment: { INVENTED: '1' } })).toThrow(
      LocalStackError,
    );
    expect(() => planLocalStack(assembly(VARIABLES), { ...OPTIONS, environment: { INVENTED: '1' } })).toThrow(
      /INVENTED/,
    );
  });

  it('plays the front door with the origin-verify value the functions have, and refuses one they lack', () => {
    const rules = { distributionId: 'Distribution', behaviors: [] };
    const withSecret = { ...assembly({ ...VARIABLES, ORIGIN_VERIFY_SECRET: 'verify-me' }), frontDoor: rules };
    expect(planLocalStack(withSecret, OPTIONS).frontDoor).toEqual({
      rules,
      originHeaders: { [ORIGIN_VERIFY_HEADER]: 'verify-me' },
    });
    expect(() => planLocalStack({ ...assembly(VARIABLES), frontDoor: rules }, OPTIONS)).toThrow(/ORIGIN_VERIFY_SECRET/);
  });

  it('starts nothing and leaves the process environment alone', () => {
    const before = { ...process.env };
    const parsed = assembly(VARIABLES);
    const first = planLocalStack(parsed, OPTIONS);
    const second = planLocalStack(parsed, OPTIONS);
    expect(process.env).toEqual(before);
    expect({ ...second, environment: undefined }).toEqual({ ...first, environment: undefined });
    expect(second.environment('http://x')).toEqual(first.environment('http://x'));
  });
});
