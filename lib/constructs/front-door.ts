import { Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
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
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ORIGIN_VERIFY_HEADER } from '../../lambdas/shared/origin-verify.js';
import { wsViewerRequestCode } from '../front-door/ws-viewer-request.js';
import type { ChatHttpApi } from './chat-http-api.js';
import type { ChatWebSocketApi } from './chat-websocket-api.js';

export interface FrontDoorProps {
  restApi: ChatHttpApi;
  liveApi: ChatWebSocketApi;
  logRetentionDays: number;
  customDomain?: { domainName: string; certificateArn: string; hostedZone?: { id: string; name: string } };
  webAclArn?: string;
}


/**
 * One domain for the guide's URLs: /api/* to the HTTP API and /ws/* to the WebSocket
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

    const restOrigin = new HttpOrigin(Fn.select(2, Fn.split('/', props.restApi.url)), {
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
    const forward = new OriginRequestPolicy(this, 'ForwardToApi', {
      comment: 'Chat API: every query string, the WebSocket handshake headers and the viewer address; never Host',
      queryStringBehavior: OriginRequestQueryStringBehavior.all(),
      cookieBehavior: OriginRequestCookieBehavior.none(),
      headerBehavior: OriginRequestHeaderBehavior.allowList(
        'Content-Type',
        'Origin',
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
      origin: restOrigin,
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: noCache,
      originRequestPolicy: forward,
    };
    const logs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // CloudFront standard logging writes with ACLs.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(props.logRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket holds the access logs themselves; logging it into another bucket would only log the logger.',
    });

    const domain = props.customDomain;
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Car chat: /api/* REST and /ws/* WebSocket on one domain',
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
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
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

  get httpsUrl(): string {
    return `https://${this.domainName}`;
  }

  /** The guide's WebSocket URL of a room on this domain, with `{room_id}` to fill in. */
  get roomUrlTemplate(): string {
    return `wss://${this.domainName}/ws/chat/{room_id}/`;
  }
}
