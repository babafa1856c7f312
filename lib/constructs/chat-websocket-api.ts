import { Stack, Token, Validations, type CfnElement } from 'aws-cdk-lib';
import { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { envName } from '../../lambdas/config/settings-contract.js';
import { jsonAccessLog } from './access-logs.js';

export interface ChatWebSocketApiProps {
  connectHandler: IFunction;
  messageHandler: IFunction;
  disconnectHandler: IFunction;
  stageName: string;
  throttle: { rateLimit: number; burstLimit: number };
  logRetention: RetentionDays;
}

/** One JSON line per connect, message and disconnect; never the query string or a body. */
const ACCESS_LOG_FIELDS = {
  connectionId: '$context.connectionId',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  status: '$context.status',
  integrationLatencyMs: '$context.integrationLatency',
  error: '$context.error.message',
};

/**
 * The live half of the client API (docs/api.md). API Gateway WebSocket URLs take no path after the stage, so
 * the room and credentials travel in the query string (`?room=<id>&visitor=<token>`); the
 * front door maps the clients' /ws/chat/<room_id>/ paths onto that.
 */
export class ChatWebSocketApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: ChatWebSocketApiProps) {
    super(scope, id);
    this.api = new WebSocketApi(this, 'Api', {
      description: 'Car chat live messages (WebSocket; docs/api.md)',
      connectRouteOptions: { integration: new WebSocketLambdaIntegration('ConnectIntegration', props.connectHandler) },
      disconnectRouteOptions: {
        integration: new WebSocketLambdaIntegration('DisconnectIntegration', props.disconnectHandler),
      },
      defaultRouteOptions: { integration: new WebSocketLambdaIntegration('MessageIntegration', props.messageHandler) },
    });
    const accessLog = jsonAccessLog(this, props.logRetention, ACCESS_LOG_FIELDS);
    this.accessLogs = accessLog.logGroup;
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName,
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: accessLog.settings,
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        '$connect authorises in its Lambda (visitor token hash or HS256 owner JWT, which API Gateway authorizers cannot verify natively); $default and $disconnect act only on the identity $connect stored.',
    });
  }

  /**
   * Lets the function post to and close connections of this stage only, and tells it the
   * stage's execute-api callback URL (never a custom domain: the management API is not there).
   */
  allowManagement(fn: LambdaFunction & IGrantable): void {
    this.stage.grantManagementApiAccess(fn);
    // cdk-nag names the finding after the rendered ARN, so the acknowledgement does too.
    const stack = Stack.of(this);
    const apiId = stack.resolve(stack.getLogicalId(this.api.node.defaultChild as CfnElement));
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    Validations.of(fn.role ?? fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:${region}:${account}:<${apiId}>/${this.stage.stageName}/*/@connections/*]`,
      reason: 'execute-api:ManageConnections on this API and stage only; connection ids are created at run time.',
    });
    fn.addEnvironment(envName('wsCallbackUrl'), this.stage.callbackUrl);
  }

  /** The raw wss:// URL of a room on this stage, with `{room_id}` to fill in. */
  get roomUrlTemplate(): string {
    return `${this.stage.url}?room={room_id}`;
  }
}
