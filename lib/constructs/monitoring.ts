import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  CHAT_METRICS,
  METRICS_NAMESPACE,
  SERVICE_NAME,
  type ChatMetricName,
} from '../../lambdas/shared/metric-names.js';
import type { ChatFunction } from './chat-function.js';
import type { ChatHttpApi } from './chat-http-api.js';
import type { ChatWebSocketApi } from './chat-websocket-api.js';

export interface MonitoringProps {
  functions: ChatFunction[];
  /** The WebSocket $default function, whose invocations and duration the dashboard shows. */
  messageFunction: ChatFunction;
  httpApi: ChatHttpApi;
  liveApi: ChatWebSocketApi;
  table: Table;
  alarmEmail?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * What an operator needs to know without looking: alarms on Lambda errors and throttles,
 * API 5xx, DynamoDB throttling, and the chat's own metrics (failed posts, failed push events,
 * frames answered `internal`), all to one SNS topic (an e-mail subscription when `alarmEmail`
 * is set), and a small dashboard. The chat's metrics are the ones the functions emit in
 * embedded metric format (lambdas/shared/metric-names.ts), never counts of log lines, so
 * rewording a log message cannot silence an alarm.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Alarms', {
      displayName: 'Car chat alarms',
      masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    for (const fn of props.functions) {
      const name = fn.node.id;
      this.alarm(`${name}Errors`, fn.metricErrors({ period: FIVE_MINUTES }), `${name}: Lambda errors`);
      this.alarm(`${name}Throttles`, fn.metricThrottles({ period: FIVE_MINUTES }), `${name}: Lambda throttled`);
    }

    const httpServerErrors = props.httpApi.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' });
    this.alarm('HttpApi5xx', httpServerErrors, 'HTTP API answered 5xx');
    const liveDimensions = { ApiId: props.liveApi.api.apiId, Stage: props.liveApi.stage.stageName };
    const liveErrors = new MathExpression({
      expression: 'integration + execution',
      usingMetrics: {
        integration: liveMetric('IntegrationError', liveDimensions),
        execution: liveMetric('ExecutionError', liveDimensions),
      },
      period: FIVE_MINUTES,
      label: 'WebSocket integration and execution errors',
    });
    this.alarm('WebSocketErrors', liveErrors, 'WebSocket API integration or execution errors');

    const tableThrottles = new MathExpression({
      expression: 'reads + writes',
      usingMetrics: {
        reads: props.table.metric('ReadThrottleEvents', { statistic: 'Sum', period: FIVE_MINUTES }),
        writes: props.table.metric('WriteThrottleEvents', { statistic: 'Sum', period: FIVE_MINUTES }),
      },
      period: FIVE_MINUTES,
      label: 'DynamoDB throttle events',
    });
    this.alarm('TableThrottles', tableThrottles, 'DynamoDB throttled requests');

    const failedPosts = chatMetric(CHAT_METRICS.PostsFailed);
    this.alarm('PostsFailedAlarm', failedPosts, 'Posts to connected sockets failed (not GoneException)');
    const failedPushEvents = chatMetric(CHAT_METRICS.PushEventsFailed);
    this.alarm('PushEventsFailedAlarm', failedPushEvents, 'Push-hook events could not be published');
    const internalFrames = chatMetric(CHAT_METRICS.FramesAnsweredInternal);
    this.alarm(
      'FramesAnsweredInternalAlarm',
      internalFrames,
      'WebSocket frames answered with code "internal" (a store or post failure)',
    );

    const messageFn = props.messageFunction;
    const perMinute = (metric: ChatMetricName) => chatMetric(metric, Duration.minutes(1));
    this.dashboard = new Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new GraphWidget({
            title: 'Chat messages (WebSocket $default invocations)',
            left: [messageFn.metricInvocations({ period: Duration.minutes(1) })],
          }),
          new GraphWidget({
            title: 'Message handler duration p50 / p99',
            left: [
              messageFn.metricDuration({ statistic: 'p50', period: Duration.minutes(1) }),
              messageFn.metricDuration({ statistic: 'p99', period: Duration.minutes(1) }),
            ],
          }),
        ],
        [
          new GraphWidget({
            title: 'Errors',
            left: [httpServerErrors, liveErrors, failedPosts, failedPushEvents, internalFrames],
          }),
          new GraphWidget({
            title: 'DynamoDB consumed capacity',
            left: [
              props.table.metricConsumedReadCapacityUnits({ period: Duration.minutes(1) }),
              props.table.metricConsumedWriteCapacityUnits({ period: Duration.minutes(1) }),
            ],
          }),
        ],
        [
          new GraphWidget({
            title: 'Messages stored and broadcast posts',
            left: [
              CHAT_METRICS.MessagesStored,
              CHAT_METRICS.PostsSent,
              CHAT_METRICS.PostsGone,
              CHAT_METRICS.PostsFailed,
            ].map(perMinute),
          }),
          new GraphWidget({
            title: 'Limits hit',
            left: [
              CHAT_METRICS.FramesRateLimited,
              CHAT_METRICS.RoomStartsLimitedPerAddress,
              CHAT_METRICS.RoomStartsLimitedPerOwner,
              CHAT_METRICS.SocketsOverMemberLimit,
              CHAT_METRICS.MessagesRefusedRoomFull,
            ].map(perMinute),
          }),
        ],
      ],
    });
  }

  private alarm(id: string, metric: IMetric, description: string): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}

const liveMetric = (metricName: string, dimensionsMap: Record<string, string>) =>
  new Metric({ namespace: 'AWS/ApiGateway', metricName, dimensionsMap, statistic: 'Sum', period: FIVE_MINUTES });

/** One of the chat's own metrics, as the functions emit it: the namespace and the service dimension alone. */
const chatMetric = (metricName: ChatMetricName, period = FIVE_MINUTES) =>
  new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME },
    statistic: 'Sum',
    period,
  });
