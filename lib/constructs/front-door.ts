import {
  Aws,
  CfnCondition,
  Duration,
  Fn,
  Names,
  RemovalPolicy,
  Stack,
  Validations,
  type CfnResource,
} from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  CacheQueryStringBehavior,
  CacheHeaderBehavior,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  Function as CloudFrontFunction,
  OriginProtocolPolicy,
  OriginRequestCookieBehavior,
  OriginRequestHeaderBehavior,
  OriginRequestPolicy,
  OriginRequestQueryStringBehavior,
  PriceClass,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
  type BehaviorOptions,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { ARecord, AaaaRecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { CloudFrontTarget } from 'aws-cdk-lib/aws-route53-targets';
import {
  CfnDelivery,
  CfnDeliveryDestination,
  CfnDeliverySource,
  LogGroup,
  type RetentionDays,
} from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ORIGIN_VERIFY_HEADER } from '../../lambdas/shared/origin-verify.js';
import { wsViewerRequestCode } from '../front-door/ws-viewer-request.js';
import type { ChatHttpApi } from './chat-http-api.js';
import type { ChatWebSocketApi } from './chat-websocket-api.js';

/**
 * The fields of the distribution's access log (CloudFront standard logging v2). Never the
 * query string (`cs-uri-query`: `?token=<JWT>` and `?visitor=<token>` travel there), nor
 * cookies, the Referer (the visitor page's URL) or the client-supplied X-Forwarded-For.
 */
export const DISTRIBUTION_LOG_FIELDS = [
  'date',
  'time',
  'x-edge-location',
  'x-edge-request-id',
  'c-ip',
  'cs-method',
  'x-host-header',
  'cs-uri-stem',
  'cs-protocol',
  'cs-protocol-version',
  'sc-status',
  'sc-bytes',
  'cs-bytes',
  'time-taken',
  'time-to-first-byte',
  'x-edge-result-type',
  'x-edge-response-result-type',
  'x-edge-detailed-result-type',
  'ssl-protocol',
];

export interface FrontDoorProps {
  httpApi: ChatHttpApi;
  liveApi: ChatWebSocketApi;
  logRetentionDays: number;
  customDomain?: { domainName: string; certificateArn: string; hostedZone?: { id: string; name: string } };
  webAclArn?: string;
}

/**
 * One domain for the clients' URLs (docs/api.md): /api/* to the HTTP API and /ws/* to the WebSocket
 * stage, whose CloudFront Function maps /ws/chat/<room_id>/ onto the stage root. Nothing
 * is cached. The origins never see the viewer's Host header (execute-api refuses it); they
 * do get CloudFront-Viewer-Address, which a client cannot set, together with a per-stack
 * origin-verify value so the Lambdas trust that address only for requests from here.
 */
export class FrontDoor extends Construct {
  readonly distribution: Distribution;
  /** e.g. chat.example.com, or the distribution's cloudfront.net name. */
  readonly domainName: string;
  /** Known only to this stack's distribution and functions (the stack's own UUID). */
  readonly originVerifySecret: string;

  constructor(scope: Construct, id: string, props: FrontDoorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.originVerifySecret = Fn.select(2, Fn.split('/', stack.stackId));
    const customHeaders = { [ORIGIN_VERIFY_HEADER]: this.originVerifySecret };

    const httpOrigin = new HttpOrigin(Fn.select(2, Fn.split('/', props.httpApi.url)), {
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
      customHeaders,
    });
    const liveOrigin = new HttpOrigin(`${props.liveApi.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
      customHeaders,
    });

    // Nothing is cached (TTL 0); Authorization must sit in a cache policy to be forwarded at all.
    const noCache = new CachePolicy(this, 'NoCache', {
      comment: 'Chat API: never cached; forwards Authorization and every query string',
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(1),
      headerBehavior: CacheHeaderBehavior.allowList('Authorization'),
      queryStringBehavior: CacheQueryStringBehavior.all(),
    });
    // At most 10 headers fit in an origin request policy; this list has 10.
    const forward = new OriginRequestPolicy(this, 'ForwardToApi', {
      comment:
        'Chat API: every query string, the CORS and WebSocket handshake headers and the viewer address; never Host',
      queryStringBehavior: OriginRequestQueryStringBehavior.all(),
      cookieBehavior: OriginRequestCookieBehavior.none(),
      headerBehavior: OriginRequestHeaderBehavior.allowList(
        'Content-Type',
        // API Gateway answers a CORS preflight only when it sees all three.
        'Origin',
        'Access-Control-Request-Method',
        'Access-Control-Request-Headers',
        'User-Agent',
        'Sec-WebSocket-Key',
        'Sec-WebSocket-Version',
        'Sec-WebSocket-Protocol',
        'Sec-WebSocket-Extensions',
        'CloudFront-Viewer-Address',
      ),
    });
    const wsRewrite = new CloudFrontFunction(this, 'WsPathRewrite', {
      comment: 'Maps /ws/chat/<room_id>/ and /ws/inbox/ onto the WebSocket stage',
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromInline(wsViewerRequestCode(`/${props.liveApi.stage.stageName}`)),
    });

    const api: BehaviorOptions = {
      origin: httpOrigin,
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: noCache,
      originRequestPolicy: forward,
    };
    const domain = props.customDomain;
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Car chat: /api/* HTTP and /ws/* WebSocket on one domain',
      defaultBehavior: api,
      additionalBehaviors: {
        '/api/*': api,
        '/ws/*': {
          ...api,
          origin: liveOrigin,
          allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
          functionAssociations: [{ function: wsRewrite, eventType: FunctionEventType.VIEWER_REQUEST }],
        },
      },
      domainNames: domain ? [domain.domainName] : undefined,
      certificate: domain ? Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn) : undefined,
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      priceClass: PriceClass.PRICE_CLASS_100,
      webAclId: props.webAclArn,
    });
    this.domainName = domain?.domainName ?? this.distribution.distributionDomainName;

    if (domain?.hostedZone) {
      const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: domain.hostedZone.id,
        zoneName: domain.hostedZone.name,
      });
      const target = RecordTarget.fromAlias(new CloudFrontTarget(this.distribution));
      new ARecord(this, 'AliasV4', { zone, recordName: domain.domainName, target });
      new AaaaRecord(this, 'AliasV6', { zone, recordName: domain.domainName, target });
    }

    this.addAccessLog(props.logRetentionDays as RetentionDays);

    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR3',
      reason:
        'Legacy standard logging always records the query string, where visitor tokens and owner JWTs travel; the distribution logs through standard logging v2 instead, with a field list that leaves the query string out.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'QR codes are scanned wherever cars are parked; no country can be excluded up front.',
    });
    if (!props.webAclArn) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason:
          'A web ACL is an opt-in setting (webAclArn); abuse is bounded without it by stage throttling and per-address and per-connection limits in the handlers.',
      });
    }
    if (!domain) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'Without a custom domain CloudFront serves its default *.cloudfront.net certificate, whose security policy cannot be chosen; with one, TLSv1.2_2021 is enforced.',
      });
    }
  }

  /**
   * CloudFront standard logging v2 into a CloudWatch log group, with the fields chosen
   * (DISTRIBUTION_LOG_FIELDS). CloudFront accepts the delivery source only in us-east-1
   * ("you must specify the US East (N. Virginia) Region", CloudFront developer guide,
   * standard logging v2), and a stack creates resources in its own region only, so the
   * log exists when the stack is deployed there; elsewhere the distribution keeps no log
   * and the API stages' access logs (which see every request CloudFront forwards) remain.
   */
  private addAccessLog(retention: RetentionDays): void {
    const inUsEast1 = new CfnCondition(this, 'AccessLogRegion', {
      expression: Fn.conditionEquals(Aws.REGION, 'us-east-1'),
    });
    const logGroup = new LogGroup(this, 'AccessLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });
    const name = Names.uniqueResourceName(this, { maxLength: 50 });
    const source = new CfnDeliverySource(this, 'AccessLogSource', {
      name: `${name}-src`,
      logType: 'ACCESS_LOGS',
      resourceArn: Stack.of(this).formatArn({
        service: 'cloudfront',
        region: '',
        resource: 'distribution',
        resourceName: this.distribution.distributionId,
      }),
    });
    const destination = new CfnDeliveryDestination(this, 'AccessLogDestination', {
      name: `${name}-dst`,
      destinationResourceArn: logGroup.logGroupArn,
      outputFormat: 'json',
    });
    const delivery = new CfnDelivery(this, 'AccessLogDelivery', {
      deliverySourceName: source.ref,
      deliveryDestinationArn: destination.attrArn,
      recordFields: DISTRIBUTION_LOG_FIELDS,
    });
    for (const resource of [logGroup.node.defaultChild as CfnResource, source, destination, delivery]) {
      resource.cfnOptions.condition = inUsEast1;
    }
  }

  get httpsUrl(): string {
    return `https://${this.domainName}`;
  }

  /** The clients' WebSocket URL of a room (docs/api.md) on this domain, with `{room_id}` to fill in. */
  get roomUrlTemplate(): string {
    return `wss://${this.domainName}/ws/chat/{room_id}/`;
  }
}
