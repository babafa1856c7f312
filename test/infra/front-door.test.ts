import { describe, expect, it } from 'vitest';
import { CHAT_METRICS, METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/shared/metric-names.js';
import { synthChatStack } from './synth.js';

type Resource = { Type: string; Properties: Record<string, any> };

const resources = (context: Record<string, unknown> = {}) =>
  Object.values((synthChatStack(context).template().toJSON() as { Resources: Record<string, Resource> }).Resources);

const distributionOf = (all: Resource[]) =>
  all.find((r) => r.Type === 'AWS::CloudFront::Distribution')!.Properties.DistributionConfig;

describe('front door', () => {
  const all = resources();
  const config = distributionOf(all);

  it('is on by default, and off with frontDoor=false', () => {
    expect(config).toBeDefined();
    expect(resources({ frontDoor: 'false' }).map((r) => r.Type)).not.toContain('AWS::CloudFront::Distribution');
  });

  it('sends /ws/* through the rewrite function to the WebSocket API, GET only', () => {
    const ws = config.CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === '/ws/*');
    expect(ws.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(ws.FunctionAssociations).toEqual([
      { EventType: 'viewer-request', FunctionARN: expect.objectContaining({ 'Fn::GetAtt': expect.any(Array) }) },
    ]);
    const origin = config.Origins.find((o: { Id: string }) => o.Id === ws.TargetOriginId);
    expect(JSON.stringify(origin.DomainName)).toContain('LiveApi');
    expect(origin.OriginPath).toBeUndefined();
  });

  it('sends /api/* and everything else to the HTTP API, all methods, HTTPS only', () => {
    const api = config.CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === '/api/*');
    for (const behavior of [api, config.DefaultCacheBehavior]) {
      expect(behavior.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'POST', 'OPTIONS']));
      expect(behavior.ViewerProtocolPolicy).toBe('https-only');
      const origin = config.Origins.find((o: { Id: string }) => o.Id === behavior.TargetOriginId);
      expect(JSON.stringify(origin.DomainName)).toContain('HttpApi');
    }
  });

  it('adds the origin-verify header to both origins', () => {
    for (const origin of config.Origins) {
      expect(origin.OriginCustomHeaders).toEqual([
        { HeaderName: 'x-origin-verify', HeaderValue: expect.objectContaining({ 'Fn::Select': expect.any(Array) }) },
      ]);
    }
  });

  it('caches nothing and forwards Authorization through the cache policy', () => {
    const policy = all.find((r) => r.Type === 'AWS::CloudFront::CachePolicy')!.Properties.CachePolicyConfig;
    expect(policy).toMatchObject({ DefaultTTL: 0, MinTTL: 0 });
    expect(policy.MaxTTL).toBeLessThanOrEqual(1);
    expect(policy.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig).toEqual({
      HeaderBehavior: 'whitelist',
      Headers: ['Authorization'],
    });
  });

  it('forwards every query string, the WebSocket headers and the viewer address, never Host', () => {
    const policy = all.find((r) => r.Type === 'AWS::CloudFront::OriginRequestPolicy')!.Properties
      .OriginRequestPolicyConfig;
    expect(policy.QueryStringsConfig).toEqual({ QueryStringBehavior: 'all' });
    expect(policy.HeadersConfig.HeaderBehavior).toBe('whitelist');
    const headers = policy.HeadersConfig.Headers.map((h: string) => h.toLowerCase());
    expect(headers).toEqual(
      expect.arrayContaining([
        'sec-websocket-key',
        'sec-websocket-version',
        'sec-websocket-protocol',
        'cloudfront-viewer-address',
      ]),
    );
    expect(headers).not.toContain('host');
    expect(headers).not.toContain('x-forwarded-for');
  });

  it('forwards what API Gateway needs to answer a CORS preflight, and lets OPTIONS through on /api/*', () => {
    const policy = all.find((r) => r.Type === 'AWS::CloudFront::OriginRequestPolicy')!.Properties
      .OriginRequestPolicyConfig;
    const headers = policy.HeadersConfig.Headers.map((h: string) => h.toLowerCase());
    expect(headers).toEqual(
      expect.arrayContaining(['origin', 'access-control-request-method', 'access-control-request-headers']),
    );
    // CloudFront's quota: at most 10 headers in an origin request policy.
    expect(headers.length).toBeLessThanOrEqual(10);
    const api = config.CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === '/api/*');
    expect(api.AllowedMethods).toContain('OPTIONS');
    expect(api.OriginRequestPolicyId).toEqual({ Ref: expect.stringMatching(/ForwardToApi/) });
  });

  it('keeps no legacy log (it always records the query string) and logs v2 without the query string', () => {
    expect(config.Logging).toBeUndefined();
    expect(all.some((r) => r.Type === 'AWS::S3::Bucket')).toBe(false);
    const delivery = all.find((r) => r.Type === 'AWS::Logs::Delivery')!.Properties;
    expect(delivery.RecordFields.length).toBeGreaterThan(5);
    for (const field of delivery.RecordFields as string[]) expect(field).not.toMatch(/query|cookie|referer|forwarded/i);
    const source = all.find((r) => r.Type === 'AWS::Logs::DeliverySource')!.Properties;
    expect(source.LogType).toBe('ACCESS_LOGS');
    expect(JSON.stringify(source.ResourceArn)).toContain(':distribution/');
    const destination = all.find((r) => r.Type === 'AWS::Logs::DeliveryDestination')!.Properties;
    expect(JSON.stringify(destination.DestinationResourceArn)).toContain('FrontDoorAccessLogs');
  });

  it('creates the distribution log only where CloudFront accepts it (us-east-1), kept logRetentionDays', () => {
    const json = synthChatStack({ logRetentionDays: '14' }).template().toJSON() as {
      Conditions: Record<string, unknown>;
      Resources: Record<string, Resource & { Condition?: string }>;
    };
    const logResources = Object.values(json.Resources).filter(
      (r) =>
        r.Type.startsWith('AWS::Logs::Delivery') ||
        (JSON.stringify(r).includes('FrontDoor') && r.Type === 'AWS::Logs::LogGroup'),
    );
    expect(logResources).toHaveLength(4);
    const conditions = new Set(logResources.map((r) => r.Condition));
    expect(conditions.size).toBe(1);
    const [condition] = [...conditions];
    expect(json.Conditions[condition!]).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] });
    const logGroup = logResources.find((r) => r.Type === 'AWS::Logs::LogGroup')!;
    expect(logGroup.Properties.RetentionInDays).toBe(14);
  });

  it('tells visitors the WebSocket URL of docs/api.md on the front door', () => {
    const start = all.find(
      (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith('POST /api/chat/start/'),
    )!;
    const template = JSON.stringify(start.Properties.Environment.Variables.WS_URL_TEMPLATE);
    expect(template).toContain('wss://');
    expect(template).toContain('/ws/chat/{room_id}/');
    expect(start.Properties.Environment.Variables.ORIGIN_VERIFY_SECRET).toBeDefined();
  });

  it('uses a custom domain with TLS 1.2+, an alias record and a web ACL when configured', () => {
    const custom = resources({
      domainName: 'chat.carinfopro.uz',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9',
      hostedZoneId: 'Z123',
      hostedZoneName: 'carinfopro.uz',
      webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/chat/a1b2c3d4-5678-90ab-cdef-111122223333',
    });
    const customConfig = distributionOf(custom);
    expect(customConfig.Aliases).toEqual(['chat.carinfopro.uz']);
    expect(customConfig.ViewerCertificate).toMatchObject({
      MinimumProtocolVersion: 'TLSv1.2_2021',
      SslSupportMethod: 'sni-only',
    });
    expect(customConfig.WebACLId).toBe(
      'arn:aws:wafv2:us-east-1:123456789012:global/webacl/chat/a1b2c3d4-5678-90ab-cdef-111122223333',
    );
    const records = custom.filter((r) => r.Type === 'AWS::Route53::RecordSet').map((r) => r.Properties.Type);
    expect(records.sort()).toEqual(['A', 'AAAA']);
    const start = custom.find(
      (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith('POST /api/chat/start/'),
    )!;
    expect(start.Properties.Environment.Variables.WS_URL_TEMPLATE).toBe('wss://chat.carinfopro.uz/ws/chat/{room_id}/');
  });

  it.each([
    [{ domainName: 'chat.example.com' }, /certificateArn/],
    [{ domainName: 'chat.example.com', certificateArn: 'arn:aws:acm:eu-west-1:1:certificate/x' }, /us-east-1/],
    [{ hostedZoneId: 'Z1' }, /hostedZoneName/],
  ])('refuses an incomplete domain setting %j', (context, message) => {
    expect(() => synthChatStack(context)).toThrow(message);
  });
});

describe('operations', () => {
  const all = resources({ alarmEmail: 'ops@example.com' });
  const alarms = all.filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties);

  it('alarms on errors and throttles of every function', () => {
    const lambdaAlarms = alarms.filter((a) => a.Namespace === 'AWS/Lambda');
    expect(lambdaAlarms.filter((a) => a.MetricName === 'Errors')).toHaveLength(8);
    expect(lambdaAlarms.filter((a) => a.MetricName === 'Throttles')).toHaveLength(8);
  });

  it('alarms on API 5xx, WebSocket errors and DynamoDB throttling', () => {
    const text = JSON.stringify(alarms);
    expect(alarms.some((a) => a.MetricName === '5xx')).toBe(true);
    for (const metric of ['IntegrationError', 'ExecutionError', 'ReadThrottleEvents', 'WriteThrottleEvents']) {
      expect(text).toContain(metric);
    }
  });

  it.each([CHAT_METRICS.PostsFailed, CHAT_METRICS.PushEventsFailed, CHAT_METRICS.FramesAnsweredInternal])(
    'alarms on the emitted metric %s: its namespace, the service dimension alone, summed over 5 minutes',
    (metricName) => {
      expect(alarms.filter((a) => a.MetricName === metricName)).toEqual([
        expect.objectContaining({
          Namespace: METRICS_NAMESPACE,
          Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
          Statistic: 'Sum',
          Period: 300,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        }),
      ]);
    },
  );

  it('counts nothing from log text: no metric filter on any log group', () => {
    expect(all.filter((r) => r.Type === 'AWS::Logs::MetricFilter')).toEqual([]);
  });

  it('names every function the same service the metrics are emitted under', () => {
    const chatFunctions = all.filter(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.TABLE_NAME,
    );
    expect(chatFunctions).toHaveLength(8);
    for (const fn of chatFunctions)
      expect(fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe(SERVICE_NAME);
  });

  it('sends every alarm to one encrypted topic with the configured e-mail subscription', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms)
      expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^MonitoringAlarms/) }]);
    const topic = all.find((r) => r.Type === 'AWS::SNS::Topic')!.Properties;
    expect(JSON.stringify(topic.KmsMasterKeyId)).toContain('alias/aws/sns');
    const subscription = all.find((r) => r.Type === 'AWS::SNS::Subscription')!.Properties;
    expect(subscription).toMatchObject({ Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('has a dashboard', () => {
    expect(all.some((r) => r.Type === 'AWS::CloudWatch::Dashboard')).toBe(true);
  });
});

describe('WebSocket stage', () => {
  it('is throttled like the REST stage, from the settings', () => {
    const stages = resources({ throttleRatePerSecond: '50', throttleBurst: '100' })
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Stage')
      .map((r) => r.Properties.DefaultRouteSettings);
    expect(stages).toHaveLength(2);
    for (const settings of stages)
      expect(settings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
  });
});
