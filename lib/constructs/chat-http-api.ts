import { Duration, Validations } from 'aws-cdk-lib';
import { CorsHttpMethod, HttpApi, HttpMethod, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { jsonAccessLog } from './access-logs.js';

export interface ChatHttpApiProps {
  /** `['*']` or the origins a browser page may call from (see settings.ts). */
  corsAllowedOrigins: string[];
  throttle: { rateLimit: number; burstLimit: number };
  logRetention: RetentionDays;
}

/** One JSON line per request; no query string (visitor tokens travel there) and no headers. */
const ACCESS_LOG_FIELDS = {
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  status: '$context.status',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
};

/**
 * Every method a route is made for: all but OPTIONS. A route that matches OPTIONS (ANY
 * included) takes the browser's preflight away from API Gateway's CORS answer and hands it
 * to the function (aws/serverless-application-model#1603), which would refuse it with 405.
 * With no OPTIONS route, API Gateway answers preflights itself from the CORS configuration.
 */
export const ROUTE_METHODS = [
  HttpMethod.GET,
  HttpMethod.POST,
  HttpMethod.PUT,
  HttpMethod.PATCH,
  HttpMethod.DELETE,
  HttpMethod.HEAD,
];

/** Response headers a browser page may read: the retry delay of a 429 and paging links. */
export const CORS_EXPOSED_HEADERS = ['retry-after', 'link'];

/**
 * The REST half of the client API (docs/api.md) on an HTTP API. Route keys cannot end in '/', and the clients
 * send the trailing slash, so every resource gets two routes: the bare path and
 * `<path>/{proxy+}`. The handler itself accepts exactly the path with or without the slash
 * and answers 404 for anything longer, and 405 for a wrong method (routes cover every
 * method but OPTIONS, see ROUTE_METHODS).
 *
 * CORS: owners send a Bearer header and visitors a token in the URL, never a cookie, so any
 * origin may call without credentials unless `corsAllowedOrigins` narrows it. API Gateway
 * answers preflights (OPTIONS with Origin and Access-Control-Request-Method) and adds the
 * headers to the functions' responses; it ignores CORS headers a function sets.
 */
export class ChatHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: ChatHttpApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      description: 'Car chat HTTP API (docs/api.md)',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: props.corsAllowedOrigins,
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.OPTIONS],
        allowHeaders: ['authorization', 'content-type'],
        exposeHeaders: CORS_EXPOSED_HEADERS,
        allowCredentials: false,
        // Browsers cap it lower (Chromium: 2 hours); an hour of cached preflights per page.
        maxAge: Duration.hours(1),
      },
    });
    const accessLog = jsonAccessLog(this, props.logRetention, ACCESS_LOG_FIELDS);
    this.accessLogs = accessLog.logGroup;
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: accessLog.settings,
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        "Owner routes verify the HS256 JWT in the Lambda (the HTTP API JWT authorizer accepts only JWKS-published asymmetric keys), visitor access is checked against the room's token hash, and chat start is public by the client contract.",
    });
  }

  /** Serves `path` and `path/` (and deeper, for the handler to refuse) with one function. */
  addResource(path: string, handler: IFunction): void {
    const integration = new HttpLambdaIntegration(`${handler.node.id}Integration`, handler);
    for (const routePath of [path, `${path}/{proxy+}`]) {
      this.api.addRoutes({ path: routePath, methods: ROUTE_METHODS, integration });
    }
  }

  get url(): string {
    return this.api.apiEndpoint;
  }
}
