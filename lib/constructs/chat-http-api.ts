import { CorsHttpMethod, HttpApi, HttpMethod, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface ChatHttpApiProps {
  corsAllowedOrigins: string[];
  throttle: { rateLimit: number; burstLimit: number };
}

/**
 * The REST half of the guide on an HTTP API. Route keys cannot end in '/', and the clients
 * send the guide's trailing slash, so every resource gets two routes: the bare path and
 * `<path>/{proxy+}`. The handler itself accepts exactly the path with or without the slash
 * and answers 404 for anything longer, and 405 for a wrong method (routes are ANY).
 */
export class ChatHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: ChatHttpApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      description: 'Car chat REST API (chat-api-guide.md)',
      createDefaultStage: false,
      corsPreflight:
        props.corsAllowedOrigins.length === 0
          ? undefined
          : {
              allowOrigins: props.corsAllowedOrigins,
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.OPTIONS],
              allowHeaders: ['authorization', 'content-type'],
            },
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
    });
  }

  /** Serves `path` and `path/` (and deeper, for the handler to refuse) with one function. */
  addResource(path: string, handler: IFunction): void {
    const integration = new HttpLambdaIntegration(`${handler.node.id}Integration`, handler);
    for (const routePath of [path, `${path}/{proxy+}`]) {
      this.api.addRoutes({ path: routePath, methods: [HttpMethod.ANY], integration });
    }
  }

  get url(): string {
    return this.api.apiEndpoint;
  }
}
