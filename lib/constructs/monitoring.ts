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
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { ChatFunction } from './chat-function.js';
import type { ChatHttpApi } from './chat-http-api.js';
import type { ChatWebSocketApi } from './chat-websocket-api.js';

export interface MonitoringProps {
  functions: ChatFunction[];
  /** Functions that post to sockets and log `broadcast_failed` when a post fails. */
  broadcasters: ChatFunction[];
  /** The function that publishes the push-hook event and logs `push_event_failed`. */
  publisher: ChatFunction;
  restApi: ChatHttpApi;
  liveApi: ChatWebSocketApi;
  table: Table;
  alarmEmail?: string;
}

export const METRICS_NAMESPACE = 'CarChat';
const FIVE_MINUTES = Duration.minutes(5);

/**
 * What an operator needs to know without looking: alarms on Lambda errors and throttles,
 * API 5xx, DynamoDB throttling and failed broadcasts, all to one SNS topic (an e-mail
 * subscription when `alarmEmail` is set), and a small dashboard.
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

    const restServerErrors = props.restApi.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' });
    this.alarm('RestApi5xx', restServerErrors, 'REST API answered 5xx');
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

    const failedBroadcasts = this.countLogLines('FailedBroadcasts', 'broadcast_failed', props.broadcasters);
    this.alarm('FailedBroadcastsAlarm', failedBroadcasts, 'Posts to connected sockets failed (not GoneException)');
    const failedPushEvents = this.countLogLines('FailedPushEvents', 'push_event_failed', [props.publisher]);
    this.alarm('FailedPushEventsAlarm', failedPushEvents, 'Push-hook events could not be published');
    const failedFrames = this.countLogLines('FailedFrames', 'frame_failed', [props.publisher]);
    this.alarm('FailedFramesAlarm', failedFrames, 'WebSocket frames answered with code "internal" (a store or post failure)');

    const messageFn = props.publisher;
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
            left: [restServerErrors, liveErrors, failedBroadcasts, failedPushEvents, failedFrames],
          }),
          new GraphWidget({
            title: 'DynamoDB consumed capacity',
            left: [
              props.table.metricConsumedReadCapacityUnits({ period: Duration.minutes(1) }),
              props.table.metricConsumedWriteCapacityUnits({ period: Duration.minutes(1) }),
            ],
          }),
        ],
      ],
    });
  }

  /** Counts log lines whose Powertools `message` is this event, across the functions. */
  private countLogLines(metricName: string, event: string, functions: ChatFunction[]): IMetric {
    for (const fn of functions) {
      new MetricFilter(this, `${metricName}${fn.node.id}`, {
        logGroup: fn.logGroup,
        filterPattern: FilterPattern.stringValue('$.message', '=', event),
        metricNamespace: METRICS_NAMESPACE,
        metricName,
        metricValue: '1',
        defaultValue: 0,
      });
    }
    return new Metric({ namespace: METRICS_NAMESPACE, metricName, statistic: 'Sum', period: FIVE_MINUTES });
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
