import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ChatHandlers } from './constructs/chat-handlers.js';
import { ChatHttpApi } from './constructs/chat-http-api.js';
import { ChatTable } from './constructs/chat-table.js';
import { ChatWebSocketApi } from './constructs/chat-websocket-api.js';
import { FrontDoor } from './constructs/front-door.js';
import { Monitoring } from './constructs/monitoring.js';
import { OwnerAuth } from './constructs/owner-auth.js';
import { envName } from '../lambdas/config/settings-contract.js';
import { sharedFunctionEnvironment, type ChatSettings } from './settings.js';

export interface ChatStackProps extends StackProps {
  settings: ChatSettings;
}

/** REST routes of the guide, with the function that serves each. */
export const REST_ROUTES = [
  { path: '/api/chat/start', handler: 'startChat' },
  { path: '/api/chat/rooms', handler: 'listRooms' },
  { path: '/api/chat/rooms/{roomId}', handler: 'getRoom' },
  { path: '/api/chat/rooms/{roomId}/messages', handler: 'roomMessages' },
  { path: '/api/chat/rooms/{roomId}/close', handler: 'closeRoom' },
] as const;

/**
 * The whole chat backend. The constructs each own one concern; this class only wires them:
 * which function may do what to the table, who verifies owner tokens, who may post to sockets.
 */
export class ChatStack extends Stack {
  constructor(scope: Construct, id: string, props: ChatStackProps) {
    super(scope, id, props);
    const { settings } = props;

    const storage = new ChatTable(this, 'Storage');
    const ownerAuth = new OwnerAuth(this, 'OwnerAuth', settings.auth);
    const handlers = new ChatHandlers(this, 'Handlers', {
      logRetention: settings.logRetentionDays as RetentionDays,
      environment: sharedFunctionEnvironment(settings),
    });
    const throttle = { rateLimit: settings.limits.throttleRatePerSecond, burstLimit: settings.limits.throttleBurst };

    const logRetention = settings.logRetentionDays as RetentionDays;
    const restApi = new ChatHttpApi(this, 'RestApi', {
      corsAllowedOrigins: settings.corsAllowedOrigins,
      throttle,
      logRetention,
    });
    for (const route of REST_ROUTES) restApi.addResource(route.path, handlers[route.handler]);

    const liveApi = new ChatWebSocketApi(this, 'LiveApi', {
      connectHandler: handlers.connect,
      messageHandler: handlers.message,
      disconnectHandler: handlers.disconnect,
      stageName: settings.stageName,
      throttle,
      logRetention,
    });

    // Least privilege, function by function. No function may Scan.
    storage.bind(handlers.startChat, ['PutItem', 'UpdateItem', 'Query', 'DeleteItem']);
    storage.bind(handlers.listRooms, ['Query']);
    storage.bind(handlers.getRoom, ['GetItem']);
    storage.bind(handlers.roomMessages, ['GetItem', 'Query']);
    storage.bind(handlers.closeRoom, ['GetItem', 'UpdateItem', 'Query', 'DeleteItem']);
    // $connect re-reads the room and its sockets after writing its own rows, and deletes them when refused.
    storage.bind(handlers.connect, ['GetItem', 'PutItem', 'Query', 'DeleteItem']);
    storage.bind(handlers.message, ['GetItem', 'PutItem', 'UpdateItem', 'Query', 'DeleteItem']);
    storage.bind(handlers.disconnect, ['DeleteItem']);

    for (const fn of [handlers.listRooms, handlers.getRoom, handlers.roomMessages, handlers.closeRoom, handlers.connect]) ownerAuth.bind(fn);
    // $connect closes a socket of the same member that a slower, earlier handshake overtook.
    for (const fn of [handlers.startChat, handlers.closeRoom, handlers.message, handlers.connect]) liveApi.allowManagement(fn);

    const frontDoor = settings.frontDoor
      ? new FrontDoor(this, 'FrontDoor', {
          restApi,
          liveApi,
          logRetentionDays: settings.logRetentionDays,
          customDomain: settings.frontDoor.customDomain,
          webAclArn: settings.frontDoor.webAclArn,
        })
      : undefined;
    handlers.startChat.addEnvironment(envName('wsUrlTemplate'), frontDoor?.roomUrlTemplate ?? liveApi.roomUrlTemplate);
    if (frontDoor) handlers.startChat.addEnvironment(envName('originVerifySecret'), frontDoor.originVerifySecret);
    handlers.message.addEnvironment(envName('maxMessageLength'), String(settings.maxMessageLength));
    handlers.message.addEnvironment(envName('maxMessagesPerRoom'), String(settings.maxMessagesPerRoom));
    if (settings.eventBusName) {
      const bus = EventBus.fromEventBusName(this, 'PushHookBus', settings.eventBusName);
      bus.grantPutEventsTo(handlers.message);
      handlers.message.addEnvironment(envName('eventBusName'), bus.eventBusName);
    }

    const monitoring = new Monitoring(this, 'Monitoring', {
      functions: handlers.all,
      broadcasters: [handlers.startChat, handlers.closeRoom, handlers.message],
      publisher: handlers.message,
      restApi,
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
    new CfnOutput(this, 'HttpApiUrl', { value: restApi.url, description: 'Base URL of the REST API (raw endpoint)' });
    new CfnOutput(this, 'WebSocketUrl', {
      value: liveApi.stage.url,
      description: 'Raw WebSocket URL; add ?room=<room_id>&visitor=<token> or &token=<JWT>',
    });
    new CfnOutput(this, 'WebSocketCallbackUrl', { value: liveApi.stage.callbackUrl });
    new CfnOutput(this, 'TableName', { value: storage.table.tableName });
  }
}
