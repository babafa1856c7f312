import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination, type IAccessLogSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * A stage's access log: its own log group with a retention period, one JSON line per
 * request: the request id, caller address and time, then the given `$context` fields. Callers list fields, never the query string
 * or headers (visitor tokens and JWTs travel there).
 */
export function jsonAccessLog(
  scope: Construct,
  retention: RetentionDays,
  fields: Record<string, string>,
): { logGroup: LogGroup; settings: IAccessLogSettings } {
  const logGroup = new LogGroup(scope, 'AccessLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });
  return {
    logGroup,
    settings: {
      destination: new LogGroupLogDestination(logGroup),
      format: AccessLogFormat.custom(
        JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          time: '$context.requestTimeEpoch',
          ...fields,
        }),
      ),
    },
  };
}
