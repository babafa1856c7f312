import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ChatFunction } from './constructs/chat-function.js';
import { ChatHandlers } from './constructs/chat-handlers.js';
import { ChatHttpApi } from './constructs/chat-http-api.js';
import { ChatTable } from './constructs/chat-table.js';
import { ChatWebSocketApi } from './constructs/chat-websocket-api.js';
import { FrontDoor } from './constructs/front-door.js';
import { Monitoring } from './constructs/monitoring.js';
import { OwnerAuth } from './constructs/owner-auth.js';
import { envName } from '../lambdas/config/settings-contract.js';
import type { FunctionSetting } from './functions.js';
import { sharedFunctionEnvironment, type ChatSettings } from './settings.js';

export interface ChatStackProps extends StackProps {
  settings: ChatSettings;
}

/**
 * The whole chat backend. The constructs each own one concern; this class only wires them,
 * and what each function may do comes from its declaration in functions.ts.
 */
export class ChatStack extends Stack {
  constructor(scope: Construct, id: string, props: ChatStackProps) {
    super(scope, id, props);
    const { settings } = props;

    const storage = new ChatTable(this, 'Storage');
    const ownerAuth = new OwnerAuth(this, 'OwnerAuth', settings.auth);
    const handlers = new ChatHandlers(this, 'Handlers', {
      logRetention: settings.logRetentionDays as RetentionDays,
      // What every function's store reads (config/store.ts).
      environment: sharedFunctionEnvironment(settings),
    });
    const throttle = { rateLimit: settings.limits.throttleRatePerSecond, burstLimit: settings.limits.throttleBurst };

    const logRetention = settings.logRetentionDays as RetentionDays;
    const httpApi = new ChatHttpApi(this, 'HttpApi', {
      corsAllowedOrigins: settings.corsAllowedOrigins,
      throttle,
      logRetention,
    });
    const webSocketRoutes: Partial<Record<string, ChatFunction>> = {};
    for (const { declaration, fn } of handlers.declared) {
      if ('http' in declaration.trigger) httpApi.addResource(declaration.trigger.http, fn);
      else webSocketRoutes[declaration.trigger.webSocket] = fn;
    }
    const routeTo = (route: string): ChatFunction => {
      const fn = webSocketRoutes[route];
      if (!fn) throw new Error(`No function is declared for the WebSocket route ${route}`);
      return fn;
    };
    const liveApi = new ChatWebSocketApi(this, 'LiveApi', {
      connectHandler: routeTo('$connect'),
      messageHandler: routeTo('$default'),
      disconnectHandler: routeTo('$disconnect'),
      stageName: settings.stageName,
      throttle,
      logRetention,
    });

    const frontDoor = settings.frontDoor
      ? new FrontDoor(this, 'FrontDoor', {
          httpApi,
          liveApi,
          logRetentionDays: settings.logRetentionDays,
          customDomain: settings.frontDoor.customDomain,
          webAclArn: settings.frontDoor.webAclArn,
        })
      : undefined;
    const bus = settings.eventBusName
      ? EventBus.fromEventBusName(this, 'PushHookBus', settings.eventBusName)
      : undefined;
    const settingValues: Record<FunctionSetting, string | undefined> = {
      maxMessageLength: String(settings.maxMessageLength),
      maxMessagesPerRoom: String(settings.maxMessagesPerRoom),
      socketsPerRoomMember: String(settings.limits.socketsPerRoomMember),
      wsUrlTemplate: frontDoor?.roomUrlTemplate ?? liveApi.roomUrlTemplate,
      originVerifySecret: frontDoor?.originVerifySecret,
    };

    // Least privilege, function by function, exactly as declared.
    for (const { declaration, fn } of handlers.declared) {
      storage.bind(fn, declaration.tableActions);
      if (declaration.verifiesOwnerTokens) ownerAuth.bind(fn);
      if (declaration.postsToSockets) liveApi.allowManagement(fn);
      if (declaration.publishesEvents && bus) {
        bus.grantPutEventsTo(fn);
        fn.addEnvironment(envName('eventBusName'), bus.eventBusName);
      }
      for (const setting of declaration.settings) {
        const value = settingValues[setting];
        if (value !== undefined) fn.addEnvironment(envName(setting), value);
      }
    }

    const monitoring = new Monitoring(this, 'Monitoring', {
      functions: handlers.all,
      messageFunction: routeTo('$default'),
      httpApi,
      liveApi,
      table: storage.table,
      alarmEmail: settings.alarmEmail,
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: monitoring.topic.topicArn });

    if (frontDoor) {
      new CfnOutput(this, 'BaseUrl', {
        value: frontDoor.httpsUrl,
        description: 'What the clients use: https://<this>/api/chat/... and wss://<this>/ws/chat/<room_id>/',
      });
      new CfnOutput(this, 'WebSocketUrlPattern', {
        value: `wss://${frontDoor.domainName}/ws/chat/<room_id>/?visitor=<visitor_token> (owner: ?token=<JWT>)`,
      });
      new CfnOutput(this, 'DistributionDomainName', {
        value: frontDoor.distribution.distributionDomainName,
        description: 'CNAME/alias target for a custom domain managed outside Route 53',
      });
    }
    new CfnOutput(this, 'HttpApiUrl', { value: httpApi.url, description: 'Base URL of the HTTP API (raw endpoint)' });
    new CfnOutput(this, 'WebSocketUrl', {
      value: liveApi.stage.url,
      description: 'Raw WebSocket URL; add ?room=<room_id>&visitor=<token> or &token=<JWT>',
    });
    new CfnOutput(this, 'WebSocketCallbackUrl', { value: liveApi.stage.callbackUrl });
    new CfnOutput(this, 'TableName', { value: storage.table.tableName });
  }
}
