import { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface ChatWebSocketApiProps {
  connectHandler: IFunction;
  messageHandler: IFunction;
  disconnectHandler: IFunction;
  stageName: string;
  throttle: { rateLimit: number; burstLimit: number };
}

/**
 * The live half of the guide. API Gateway WebSocket URLs take no path after the stage, so
 * the room and credentials travel in the query string (`?room=<id>&visitor=<token>`); the
 * front door maps the guide's /ws/chat/<room_id>/ paths onto that.
 */
export class ChatWebSocketApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;

  constructor(scope: Construct, id: string, props: ChatWebSocketApiProps) {
    super(scope, id);
    this.api = new WebSocketApi(this, 'Api', {
      description: 'Car chat live messages (chat-api-guide.md, WebSocket)',
      connectRouteOptions: { integration: new WebSocketLambdaIntegration('ConnectIntegration', props.connectHandler) },
      disconnectRouteOptions: { integration: new WebSocketLambdaIntegration('DisconnectIntegration', props.disconnectHandler) },
      defaultRouteOptions: { integration: new WebSocketLambdaIntegration('MessageIntegration', props.messageHandler) },
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName,
      autoDeploy: true,
      throttle: props.throttle,
    });
  }

  /**
   * Lets the function post to and close connections of this stage only, and tells it the
   * stage's execute-api callback URL (never a custom domain: the management API is not there).
   */
  allowManagement(fn: LambdaFunction & IGrantable): void {
    this.stage.grantManagementApiAccess(fn);
    fn.addEnvironment('WS_CALLBACK_URL', this.stage.callbackUrl);
  }

  /** The raw wss:// URL of a room on this stage, with `{room_id}` to fill in. */
  get roomUrlTemplate(): string {
    return `${this.stage.url}?room={room_id}`;
  }
}
