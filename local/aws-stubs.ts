import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './http-io.js';

/**
 * The two other AWS APIs the handlers call, answered on the loopback services server
 * (services-server.ts), never on the client port. The SDK clients reach them through
 * AWS_ENDPOINT_URL_SECRETS_MANAGER and AWS_ENDPOINT_URL_EVENTBRIDGE; both speak JSON 1.1
 * with the operation in X-Amz-Target.
 */
export interface AwsStubOptions {
  /** Secret ARN → SecretString. */
  secrets: Record<string, string>;
  log: (line: string) => void;
  /** Test hook: while it returns true, PutEvents rejects every entry (see LocalStackOptions). */
  failPutEvents?: () => boolean;
  /** Test hook: each PutEvents entry as received, detail whole (see LocalStackOptions). */
  onPutEvents?: (entry: PutEventsEntry) => void;
}

/** One PutEvents entry as the stub received it. */
export interface PutEventsEntry {
  rejected: boolean;
  bus: string;
  source: string;
  detailType: string;
  /** The parsed Detail (the push hook's carries the message preview: never logged). */
  detail: Record<string, unknown>;
}

/**
 * The detail fields the log shows. A list of what may be shown rather than of what may not:
 * a field added to the event later (text, a name) stays out of the log until someone decides.
 */
const LOGGED_DETAIL_FIELDS = ['room_id', 'owner_id', 'message_id', 'owner_online', 'created_at', 'unread_count'];

export const isAwsApiRequest = (req: IncomingMessage): boolean =>
  req.method === 'POST' && typeof req.headers['x-amz-target'] === 'string';

export async function handleAwsApiRequest(
  options: AwsStubOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const target = String(req.headers['x-amz-target']);
  const raw = await readBody(req, 1024 * 1024);
  let input: Record<string, unknown>;
  try {
    input = JSON.parse(raw?.toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    reply(res, 400, { __type: 'SerializationException', message: 'Request body is not JSON' });
    return;
  }
  switch (target) {
    case 'secretsmanager.GetSecretValue':
      return getSecretValue(options, input, res);
    case 'AWSEvents.PutEvents':
      return putEvents(options, input, res);
    default:
      reply(res, 400, {
        __type: 'UnknownOperationException',
        message: `${target} is not served by the local stack`,
      });
      return;
  }
}

function getSecretValue(options: AwsStubOptions, input: Record<string, unknown>, res: ServerResponse): void {
  const arn = String(input.SecretId ?? '');
  const secret = options.secrets[arn];
  if (secret === undefined) {
    reply(res, 400, {
      __type: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
    return;
  }
  reply(res, 200, {
    ARN: arn,
    Name: arn.split(':secret:')[1] ?? arn,
    SecretString: secret,
    VersionId: '00000000-0000-4000-8000-000000000000',
    VersionStages: ['AWSCURRENT'],
    CreatedDate: 0,
  });
}

function putEvents(options: AwsStubOptions, input: Record<string, unknown>, res: ServerResponse): void {
  const entries = Array.isArray(input.Entries) ? (input.Entries as Record<string, unknown>[]) : [];
  // EventBridge reports a rejected entry in a 200 response, with FailedEntryCount and an ErrorCode.
  const fail = options.failPutEvents?.() === true;
  for (const entry of entries) {
    let detail: Record<string, unknown> = {};
    try {
      detail = JSON.parse(String(entry.Detail ?? '{}')) as Record<string, unknown>;
    } catch {
      // Not JSON: nothing of it is logged.
    }
    const bus = String(entry.EventBusName ?? 'default');
    options.onPutEvents?.({
      rejected: fail,
      bus,
      source: String(entry.Source),
      detailType: String(entry.DetailType),
      detail,
    });
    const shown = Object.fromEntries(
      LOGGED_DETAIL_FIELDS.filter((key) => key in detail).map((key) => [key, detail[key]]),
    );
    options.log(
      `[eventbridge] PutEvents${fail ? ' REJECTED' : ''} bus=${bus} source=${entry.Source} ` +
        `detail-type=${entry.DetailType} detail=${JSON.stringify(shown)}`,
    );
  }
  if (fail) {
    const rejected = { ErrorCode: 'InternalFailure', ErrorMessage: 'Rejected by the local stack (failPutEvents)' };
    reply(res, 200, { FailedEntryCount: entries.length, Entries: entries.map(() => rejected) });
    return;
  }
  reply(res, 200, { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}
