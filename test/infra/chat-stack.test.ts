import { envName } from '../../lambdas/config/settings-contract.js';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHAT_FUNCTIONS } from '../../lib/functions.js';
import { HttpRouter } from '../../local/http-routes.js';
import { synthChatStack } from './synth.js';

type Resource = {
  Type: string;
  Properties: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
type TemplateJson = { Resources: Record<string, Resource>; Outputs: Record<string, unknown> };

let json: TemplateJson;
let template: ReturnType<ReturnType<typeof synthChatStack>['template']>;

const resourcesOf = (type: string) =>
  Object.entries(json.Resources).filter(([, resource]) => resource.Type === type) as [string, Resource][];

/** Logical id of the Lambda whose description starts with the given text. */
const functionId = (descriptionStart: string): string => {
  const match = resourcesOf('AWS::Lambda::Function').find(([, fn]) =>
    String(fn.Properties.Description).startsWith(descriptionStart),
  );
  if (!match) throw new Error(`no function described "${descriptionStart}..."`);
  return match[0];
};

/** IAM statements attached to the role of a function. */
const statementsOf = (fnId: string): { Action: string | string[]; Resource: unknown }[] => {
  const roleId = json.Resources[fnId]!.Properties.Role['Fn::GetAtt'][0];
  return resourcesOf('AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement);
};

const actionsOf = (fnId: string, prefix: string): string[] =>
  statementsOf(fnId)
    .flatMap((statement) => [statement.Action].flat())
    .filter((action) => action.startsWith(prefix))
    .sort();

/** The function a route's integration invokes. */
const routeTarget = (routeKey: string): string => {
  const route = resourcesOf('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === routeKey);
  if (!route) throw new Error(`no route ${routeKey}`);
  const integrationId = route[1].Properties.Target['Fn::Join'][1][1].Ref;
  const uri = json.Resources[integrationId]!.Properties.IntegrationUri;
  return (uri['Fn::GetAtt'] ?? uri['Fn::Join'][1].find((part: any) => part['Fn::GetAtt'])['Fn::GetAtt'])[0];
};

beforeAll(() => {
  template = synthChatStack().template();
  json = template.toJSON() as TemplateJson;
});

describe('REST API', () => {
  it.each([
    ['/api/chat/start', 'POST /api/chat/start/'],
    ['/api/chat/rooms', 'GET /api/chat/rooms/'],
    ['/api/chat/rooms/{roomId}', 'GET /api/chat/rooms/<id>/:'],
    ['/api/chat/rooms/{roomId}/messages', 'GET /api/chat/rooms/<id>/messages/'],
    ['/api/chat/rooms/{roomId}/close', 'POST /api/chat/rooms/<id>/close/'],
  ])('serves %s with and without the trailing slash from one function', (path, description) => {
    const fn = functionId(description);
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']) {
      expect(routeTarget(`${method} ${path}`)).toBe(fn);
      expect(routeTarget(`${method} ${path}/{proxy+}`)).toBe(fn);
    }
  });

  it('has exactly the routes of docs/api.md (the original three, the room and close), and no route ending in a slash', () => {
    const http = resourcesOf('AWS::ApiGatewayV2::Route')
      .map(([, route]) => route.Properties.RouteKey as string)
      .filter((key) => !key.startsWith('$'));
    const paths = [...new Set(http.map((key) => key.split(' ')[1]))];
    expect(paths.sort()).toEqual(
      [
        '/api/chat/start',
        '/api/chat/start/{proxy+}',
        '/api/chat/rooms',
        '/api/chat/rooms/{proxy+}',
        '/api/chat/rooms/{roomId}',
        '/api/chat/rooms/{roomId}/{proxy+}',
        '/api/chat/rooms/{roomId}/messages',
        '/api/chat/rooms/{roomId}/messages/{proxy+}',
        '/api/chat/rooms/{roomId}/close',
        '/api/chat/rooms/{roomId}/close/{proxy+}',
      ].sort(),
    );
    for (const key of http) expect(key.endsWith('/')).toBe(false);
  });

  it.each([
    ['/api/chat/rooms/', 'GET /api/chat/rooms/:'],
    ['/api/chat/rooms/<id>', 'GET /api/chat/rooms/<id>/:'],
    ['/api/chat/rooms/<id>/', 'GET /api/chat/rooms/<id>/:'],
    ['/api/chat/rooms/<id>/messages/', 'GET /api/chat/rooms/<id>/messages/'],
    ['/api/chat/rooms/<id>/close/', 'POST /api/chat/rooms/<id>/close/'],
    // Deeper than any resource: the room's function, which answers 404.
    ['/api/chat/rooms/<id>/x/y', 'GET /api/chat/rooms/<id>/:'],
  ])("sends %s to the function that serves it, by API Gateway's route precedence", (path, description) => {
    // The local gateway's router implements the documented precedence (test/unit/local/http-routes.test.ts).
    const routeKeys = resourcesOf('AWS::ApiGatewayV2::Route')
      .map(([, route]) => route.Properties.RouteKey as string)
      .filter((key) => !key.startsWith('$'));
    const router = new HttpRouter(routeKeys.map((routeKey) => ({ routeKey, target: routeKey })));
    const selected = router.match('GET', path.replace('<id>', '2d7a3c4e-5f6b-4c7d-8e8f-9a0b1c2d3e4f'));
    expect(selected).toBeDefined();
    expect(routeTarget(selected!.route.routeKey)).toBe(functionId(description));
  });

  it('leaves OPTIONS to API Gateway: no route matches it, so no preflight reaches a function', () => {
    const methods = new Set(
      resourcesOf('AWS::ApiGatewayV2::Route')
        .filter(([, route]) => !String(route.Properties.RouteKey).startsWith('$'))
        .map(([, route]) => String(route.Properties.RouteKey).split(' ')[0]),
    );
    expect(methods).not.toContain('OPTIONS');
    expect(methods).not.toContain('ANY');
  });

  it('throttles the stage and writes access logs without the query string', () => {
    const stage = resourcesOf('AWS::ApiGatewayV2::Stage').find(([, s]) => s.Properties.StageName === '$default')![1];
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: 200,
      ThrottlingBurstLimit: 400,
    });
    const format = stage.Properties.AccessLogSettings.Format as string;
    expect(format).toContain('$context.requestId');
    expect(format).not.toMatch(/querystring|\$context\.path|header/i);
  });

  it('allows any origin by default, without credentials, and exposes Retry-After and Link', () => {
    const api = resourcesOf('AWS::ApiGatewayV2::Api').find(([, a]) => a.Properties.ProtocolType === 'HTTP')![1];
    expect(api.Properties.CorsConfiguration).toEqual({
      AllowOrigins: ['*'],
      AllowMethods: ['GET', 'POST', 'OPTIONS'],
      AllowHeaders: ['authorization', 'content-type'],
      ExposeHeaders: ['retry-after', 'link'],
      AllowCredentials: false,
      MaxAge: 3600,
    });
  });

  it('narrows CORS to the configured origins', () => {
    const withCors = synthChatStack({ corsAllowedOrigins: 'https://carinfopro.uz, http://localhost:3000' }).template();
    withCors.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://carinfopro.uz', 'http://localhost:3000'] }),
    });
  });

  it.each([
    ['https://carinfopro.uz/', /corsAllowedOrigins/],
    ['carinfopro.uz', /corsAllowedOrigins/],
    ['https://carinfopro.uz/chat', /corsAllowedOrigins/],
    ['*,https://carinfopro.uz', /corsAllowedOrigins/],
    ['ftp://carinfopro.uz', /corsAllowedOrigins/],
  ])('refuses corsAllowedOrigins=%s at synth, naming the key', (value, message) => {
    expect(() => synthChatStack({ corsAllowedOrigins: value })).toThrow(message);
  });
});

describe('WebSocket API', () => {
  it.each([
    ['$connect', 'WebSocket $connect'],
    ['$default', 'WebSocket $default'],
    ['$disconnect', 'WebSocket $disconnect'],
  ])('routes %s to its own function', (routeKey, description) => {
    expect(routeTarget(routeKey)).toBe(functionId(description));
  });

  it('lets exactly the posting functions manage connections, on this stage only', () => {
    const managers = resourcesOf('AWS::Lambda::Function')
      .map(([id]) => id)
      .filter((id) => actionsOf(id, 'execute-api:').length > 0)
      .sort();
    expect(managers).toEqual(
      [
        functionId('POST /api/chat/start/'),
        functionId('POST /api/chat/rooms/<id>/close/'),
        functionId('WebSocket $default'),
        // closes a socket of the same member that an earlier handshake outranks (cap per member)
        functionId('WebSocket $connect'),
      ].sort(),
    );
    const statement = statementsOf(functionId('WebSocket $default')).find(
      (s) => [s.Action].flat()[0] === 'execute-api:ManageConnections',
    )!;
    expect(JSON.stringify(statement.Resource)).toContain('/prod/*/@connections/*');
  });

  it('hands the posting functions the execute-api callback URL of the stage', () => {
    const env = json.Resources[functionId('WebSocket $default')]!.Properties.Environment.Variables;
    const url = JSON.stringify(env.WS_CALLBACK_URL);
    expect(url).toContain('https://');
    expect(url).toContain('.execute-api.');
    expect(url).toContain('/prod');
  });
});

describe('table', () => {
  it('is keyed by pk/sk with the owner index, the time index and TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'by-owner',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
        }),
      ],
      LocalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'by-time',
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'lsi1sk', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
  });

  it('is retained when the stack is deleted', () => {
    const [, table] = resourcesOf('AWS::DynamoDB::Table')[0]!;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
  });
});

describe('least privilege', () => {
  it('grants no Scan and no wildcard action to anyone', () => {
    const actions = resourcesOf('AWS::IAM::Policy').flatMap(([, policy]) =>
      policy.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat()),
    );
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) {
      expect(action).not.toBe('*');
      expect(action).not.toMatch(/:\*$/);
      expect(action).not.toMatch(/Scan/);
    }
  });

  it.each([
    ['POST /api/chat/start/', ['DeleteItem', 'PutItem', 'Query', 'UpdateItem']],
    ['GET /api/chat/rooms/:', ['Query']],
    ['GET /api/chat/rooms/<id>/:', ['GetItem']],
    ['GET /api/chat/rooms/<id>/messages/', ['GetItem', 'Query']],
    ['WebSocket $connect', ['DeleteItem', 'GetItem', 'PutItem', 'Query']],
    ['WebSocket $default', ['DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem']],
    ['POST /api/chat/rooms/<id>/close/', ['DeleteItem', 'GetItem', 'Query', 'UpdateItem']],
    ['WebSocket $disconnect', ['DeleteItem']],
  ])('gives "%s" exactly the table actions it uses', (description, expected) => {
    expect(actionsOf(functionId(description), 'dynamodb:')).toEqual(expected.map((a) => `dynamodb:${a}`));
  });

  it.each(Object.values(CHAT_FUNCTIONS).map((declared) => [declared.id, declared] as const))(
    'grants %s what its declaration says and nothing more',
    (_id, declared) => {
      const fnId = functionId(declared.description);
      expect(fnId).toMatch(new RegExp(`^Handlers${declared.id}[0-9A-F]{8}$`));
      expect(actionsOf(fnId, 'dynamodb:')).toEqual(declared.tableActions.map((a) => `dynamodb:${a}`).sort());
      expect(actionsOf(fnId, 'secretsmanager:').length > 0).toBe(declared.verifiesOwnerTokens);
      expect(actionsOf(fnId, 'execute-api:').length > 0).toBe(declared.postsToSockets);
      const env = json.Resources[fnId]!.Properties.Environment.Variables;
      expect('WS_CALLBACK_URL' in env).toBe(declared.postsToSockets);
      for (const setting of declared.settings.filter((name) => name !== 'originVerifySecret'))
        expect(env).toHaveProperty(envName(setting));
    },
  );

  it('lets only token-verifying functions read the JWT secret', () => {
    const readers = resourcesOf('AWS::Lambda::Function')
      .map(([id]) => id)
      .filter((id) => actionsOf(id, 'secretsmanager:').length > 0)
      .sort();
    expect(readers).toEqual(
      [
        functionId('GET /api/chat/rooms/:'),
        functionId('GET /api/chat/rooms/<id>/:'),
        functionId('GET /api/chat/rooms/<id>/messages/'),
        functionId('POST /api/chat/rooms/<id>/close/'),
        functionId('WebSocket $connect'),
      ].sort(),
    );
  });

  it('uses no AWS managed policy for the function roles', () => {
    for (const [, role] of resourcesOf('AWS::IAM::Role')) {
      expect(role.Properties.ManagedPolicyArns ?? []).toEqual([]);
    }
  });
});

describe('functions', () => {
  it('run on Node.js 24, arm64, as ESM bundles exporting handler', () => {
    const functions = resourcesOf('AWS::Lambda::Function');
    expect(functions).toHaveLength(8);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
      });
    }
  });

  it('each write to their own log group with a retention period', () => {
    for (const [, fn] of resourcesOf('AWS::Lambda::Function')) {
      const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref;
      expect(json.Resources[logGroupId]!.Properties.RetentionInDays).toBe(30);
    }
    const custom = synthChatStack({ logRetentionDays: '90' }).template().toJSON() as TemplateJson;
    const retentions = Object.values(custom.Resources)
      .filter((r) => r.Type === 'AWS::Logs::LogGroup')
      .map((r) => r.Properties.RetentionInDays);
    expect(new Set(retentions)).toEqual(new Set([90]));
  });

  it('never carry the JWT secret itself, only a reference to it', () => {
    const text = JSON.stringify(json);
    expect(text).not.toMatch(/"SecretString"/);
    for (const [, fn] of resourcesOf('AWS::Lambda::Function')) {
      const arn = fn.Properties.Environment.Variables.JWT_SECRET_ARN;
      if (arn !== undefined) expect(arn).toEqual({ Ref: expect.stringMatching(/^OwnerAuthJwtSecret/) });
    }
  });
});

describe('settings', () => {
  it('verifies with a JWKS URL instead of a secret when one is given', () => {
    const jwks = synthChatStack({
      jwtJwksUrl: 'https://cognito-idp.eu-central-1.amazonaws.com/pool/.well-known/jwks.json',
    })
      .template()
      .toJSON() as TemplateJson;
    const types = Object.values(jwks.Resources).map((r) => r.Type);
    expect(types).not.toContain('AWS::SecretsManager::Secret');
    const connect = Object.values(jwks.Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith('WebSocket $connect'),
    )!;
    expect(connect.Properties.Environment.Variables).toMatchObject({
      JWT_JWKS_URL: 'https://cognito-idp.eu-central-1.amazonaws.com/pool/.well-known/jwks.json',
    });
    expect(connect.Properties.Environment.Variables.JWT_SECRET_ARN).toBeUndefined();
  });

  it('uses an existing secret by ARN without creating one', () => {
    const arn = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:django-jwt-AbCdEf';
    const imported = synthChatStack({ jwtSecretArn: arn }).template().toJSON() as TemplateJson;
    expect(Object.values(imported.Resources).map((r) => r.Type)).not.toContain('AWS::SecretsManager::Secret');
    expect(JSON.stringify(imported)).toContain(arn);
  });

  it.each([
    [{ maxMessageLength: 'lots' }, /maxMessageLength/],
    [{ maxMessagesPerRoom: '0' }, /maxMessagesPerRoom/],
    [{ maxMessagesPerRoom: '1000001' }, /maxMessagesPerRoom/],
    [{ messagesPerSecondPerConnection: '-1' }, /messagesPerSecondPerConnection/],
    [{ roomStartsPerMinutePerIp: '101' }, /roomStartsPerMinutePerIp/],
    [{ roomStartsPerHourPerOwner: '101' }, /roomStartsPerHourPerOwner/],
    [{ socketsPerRoomMember: '0' }, /socketsPerRoomMember/],
    [{ socketsPerRoomMember: '51' }, /socketsPerRoomMember/],
    [{ jwtJwksUrl: 'http://insecure.example/jwks.json' }, /jwtJwksUrl/],
    [{ stageName: 'no/slashes' }, /stageName/],
    [{ connectionTtlSeconds: '60' }, /connectionTtlSeconds/],
  ])('refuses a bad setting %j with a message naming it', (context, message) => {
    expect(() => synthChatStack(context)).toThrow(message);
  });

  it('passes limits and retention to the functions', () => {
    const custom = synthChatStack({
      maxMessageLength: '500',
      maxMessagesPerRoom: '250',
      messageRetentionDays: '90',
      roomRetentionDays: '365',
      connectionTtlSeconds: '10800',
      roomStartsPerHourPerOwner: '7',
      socketsPerRoomMember: '2',
    })
      .template()
      .toJSON() as TemplateJson;
    const message = Object.values(custom.Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith('WebSocket $default'),
    )!;
    expect(message.Properties.Environment.Variables).toMatchObject({
      MAX_MESSAGE_LENGTH: '500',
      MAX_MESSAGES_PER_ROOM: '250',
      MESSAGE_RETENTION_DAYS: '90',
      ROOM_RETENTION_DAYS: '365',
      CONNECTION_TTL_SECONDS: '10800',
      ROOM_STARTS_PER_HOUR_PER_OWNER: '7',
    });
    // The sockets cap is read by $connect alone.
    expect(message.Properties.Environment.Variables.SOCKETS_PER_ROOM_MEMBER).toBeUndefined();
    const connect = Object.values(custom.Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith('WebSocket $connect'),
    )!;
    expect(connect.Properties.Environment.Variables.SOCKETS_PER_ROOM_MEMBER).toBe('2');
  });

  it('defaults to 30 room starts per owner and hour and 5 sockets per room member', () => {
    const connect = Object.values(json.Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith('WebSocket $connect'),
    )!;
    expect(connect.Properties.Environment.Variables).toMatchObject({
      ROOM_STARTS_PER_HOUR_PER_OWNER: '30',
      SOCKETS_PER_ROOM_MEMBER: '5',
    });
  });
});

describe('outputs', () => {
  it('publishes the API endpoints and the secret to fill in', () => {
    expect(Object.keys(json.Outputs)).toEqual(
      expect.arrayContaining(['HttpApiUrl', 'WebSocketUrl', 'WebSocketCallbackUrl', 'OwnerJwtSecretArn']),
    );
  });
});
