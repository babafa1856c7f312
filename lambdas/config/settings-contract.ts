/**
 * The settings contract: every setting of the stack and of its functions, declared once.
 *
 * For each: the CDK context key an operator sets (`-c key=value`), the environment variable
 * the functions read it from (when they read it), its type, default, allowed range or values,
 * and the one-line doc the README's settings table shows. Everything else derives from this:
 * lib/settings.ts reads and validates the context with these keys, ranges and defaults; the
 * stack sets the functions' environment under these names; lambdas/config reads them back
 * with the same ranges; the unit tests build a function environment from them; a test
 * compares the README's table with it (`npm run docs:settings` rewrites the table).
 *
 * It lives in lambdas/config, beside its runtime readers, because the functions bundle it:
 * it imports nothing (no CDK, no AWS SDK), so lib/, local/, bench/ and the tests import it too.
 * Environment variable names are written as literals here and nowhere else.
 */

interface Common {
  /** CDK context key; absent for a value the stack computes (a table name, a URL). */
  context?: string;
  /** Environment variable the functions read; absent for a setting only the stack uses. */
  env?: string;
  /** The default as the table shows it, when the value alone says too little. */
  defaultText?: string;
}

export interface IntSetting extends Common {
  type: 'int';
  default: number;
  min: number;
  max: number;
}

export interface OneOfSetting extends Common {
  type: 'one-of';
  default: number;
  values: readonly number[];
}

export interface StringSetting extends Common {
  type: 'string';
  default?: string;
}

export interface BooleanSetting extends Common {
  type: 'boolean';
  default: boolean;
}

export interface ListSetting extends Common {
  type: 'list';
  default: readonly string[];
}

export type SettingSpec = IntSetting | OneOfSetting | StringSetting | BooleanSetting | ListSetting;

/** The only retention periods CloudWatch Logs accepts (PutRetentionPolicy, RetentionDays). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const DAY = 86_400;

/** In the order of the README's table; the function-only values (no context key) come last. */
export const SETTINGS = {
  jwtSecretArn: {
    type: 'string',
    context: 'jwtSecretArn',
    env: 'JWT_SECRET_ARN',
    defaultText: 'a new secret',
  },
  jwtJwksUrl: {
    type: 'string',
    context: 'jwtJwksUrl',
    env: 'JWT_JWKS_URL',
  },
  jwtOwnerClaim: {
    type: 'string',
    context: 'jwtOwnerClaim',
    env: 'JWT_OWNER_CLAIM',
    default: 'user_id',
  },
  jwtIssuer: {
    type: 'string',
    context: 'jwtIssuer',
    env: 'JWT_ISSUER',
  },
  jwtAudience: {
    type: 'string',
    context: 'jwtAudience',
    env: 'JWT_AUDIENCE',
  },
  frontDoor: {
    type: 'boolean',
    context: 'frontDoor',
    default: true,
  },
  domainName: {
    type: 'string',
    context: 'domainName',
  },
  certificateArn: {
    type: 'string',
    context: 'certificateArn',
  },
  hostedZoneId: {
    type: 'string',
    context: 'hostedZoneId',
  },
  hostedZoneName: {
    type: 'string',
    context: 'hostedZoneName',
  },
  webAclArn: {
    type: 'string',
    context: 'webAclArn',
  },
  corsAllowedOrigins: {
    type: 'list',
    context: 'corsAllowedOrigins',
    default: ['*'],
  },
  maxMessageLength: {
    type: 'int',
    context: 'maxMessageLength',
    env: 'MAX_MESSAGE_LENGTH',
    default: 4000,
    min: 1,
    max: 30_000,
  },
  maxMessagesPerRoom: {
    type: 'int',
    context: 'maxMessagesPerRoom',
    env: 'MAX_MESSAGES_PER_ROOM',
    default: 10_000,
    min: 1,
    max: 1_000_000,
  },
  messagesPerSecondPerConnection: {
    type: 'int',
    context: 'messagesPerSecondPerConnection',
    env: 'MESSAGES_PER_SECOND_PER_CONNECTION',
    default: 5,
    min: 0,
    max: 50,
  },
  // At most 100: the sliding window writes one attribute per admitted start in one
  // UpdateExpression, and past ~115 that expression exceeds DynamoDB's 4 KB limit.
  roomStartsPerMinutePerIp: {
    type: 'int',
    context: 'roomStartsPerMinutePerIp',
    env: 'ROOM_STARTS_PER_MINUTE_PER_IP',
    default: 10,
    min: 0,
    max: 100,
  },
  // The same sliding window, the same 100 ceiling.
  roomStartsPerHourPerOwner: {
    type: 'int',
    context: 'roomStartsPerHourPerOwner',
    env: 'ROOM_STARTS_PER_HOUR_PER_OWNER',
    default: 30,
    min: 0,
    max: 100,
  },
  socketsPerRoomMember: {
    type: 'int',
    context: 'socketsPerRoomMember',
    env: 'SOCKETS_PER_ROOM_MEMBER',
    default: 5,
    min: 1,
    max: 50,
  },
  throttleRatePerSecond: {
    type: 'int',
    context: 'throttleRatePerSecond',
    default: 200,
    min: 1,
    max: 10_000,
  },
  throttleBurst: {
    type: 'int',
    context: 'throttleBurst',
    default: 400,
    min: 1,
    max: 5_000,
  },
  messageRetentionDays: {
    type: 'int',
    context: 'messageRetentionDays',
    env: 'MESSAGE_RETENTION_DAYS',
    default: 0,
    min: 0,
    max: 36_500,
    defaultText: '`0` (keep)',
  },
  roomRetentionDays: {
    type: 'int',
    context: 'roomRetentionDays',
    env: 'ROOM_RETENTION_DAYS',
    default: 0,
    min: 0,
    max: 36_500,
    defaultText: '`0` (keep)',
  },
  // API Gateway closes every WebSocket after 2 hours, so the 3-hour default outlives any real one.
  connectionTtlSeconds: {
    type: 'int',
    context: 'connectionTtlSeconds',
    env: 'CONNECTION_TTL_SECONDS',
    default: 3 * 3600,
    min: 2 * 3600,
    max: 7 * DAY,
  },
  eventBusName: {
    type: 'string',
    context: 'eventBusName',
    env: 'EVENT_BUS_NAME',
    default: 'default',
  },
  alarmEmail: {
    type: 'string',
    context: 'alarmEmail',
  },
  logRetentionDays: {
    type: 'one-of',
    context: 'logRetentionDays',
    default: 30,
    values: LOG_RETENTION_DAYS,
  },
  stageName: {
    type: 'string',
    context: 'stageName',
    default: 'prod',
  },
  stackName: {
    type: 'string',
    context: 'stackName',
    default: 'CarChat',
  },

  // Values the stack computes from its resources and hands to the functions.
  tableName: { type: 'string', env: 'TABLE_NAME' },
  wsCallbackUrl: {
    type: 'string',
    env: 'WS_CALLBACK_URL',
  },
  wsUrlTemplate: {
    type: 'string',
    env: 'WS_URL_TEMPLATE',
  },
  originVerifySecret: {
    type: 'string',
    env: 'ORIGIN_VERIFY_SECRET',
  },
  serviceName: { type: 'string', env: 'POWERTOOLS_SERVICE_NAME', default: 'carchat' },
  logLevel: { type: 'string', env: 'POWERTOOLS_LOG_LEVEL', default: 'INFO' },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

/**
 * Each setting's one-line doc: the README table's meaning column (settings in one row share
 * it, see settingsTableRows). Built by a function, not held in SETTINGS, so the functions'
 * bundles (which import SETTINGS for names, defaults and ranges) leave the prose out.
 */
export const settingDocs = (): Record<SettingName, string> => ({
  jwtSecretArn:
    'existing Secrets Manager secret holding the Django HS256 signing key: its complete ARN, with the 6-character suffix',
  jwtJwksUrl: 'JWKS URL (RS256/ES256, e.g. Cognito) instead of the shared secret; `https://`',
  jwtOwnerClaim: 'claim carrying the owner id (a claim name: letters, digits, `_ . : -`)',
  jwtIssuer: 'checked when set (compared exactly: no spaces, at most 512 characters)',
  jwtAudience: 'checked when set (compared exactly: no spaces, at most 512 characters)',
  frontDoor: '`false` deploys without CloudFront (raw endpoints only); `true` or `false` only',
  domainName:
    "custom domain of the front door, lowercase, no wildcard (CloudFront's rule); certificate `arn:aws:acm:us-east-1:<account>:certificate/<id>`",
  certificateArn:
    "custom domain of the front door, lowercase, no wildcard (CloudFront's rule); certificate `arn:aws:acm:us-east-1:<account>:certificate/<id>`",
  hostedZoneId:
    "Route 53 zone for the alias records: the id alone (`Z...`, no `/hostedzone/`) and the zone's name, which must contain `domainName`",
  hostedZoneName:
    "Route 53 zone for the alias records: the id alone (`Z...`, no `/hostedzone/`) and the zone's name, which must contain `domainName`",
  webAclArn: 'WAFv2 web ACL of CLOUDFRONT scope: `arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>`',
  corsAllowedOrigins:
    'origins a browser page may call the REST API from: `*` (any, without credentials; no cookies are used) or a comma-separated list of `https://host[:port]` / `http://host[:port]` origins, each exactly as the browser sends it (no path, no trailing slash)',
  maxMessageLength: 'characters (Unicode code points) per message',
  maxMessagesPerRoom: 'messages one room may hold (1 to 1,000,000); the next is refused with `room_full`',
  messagesPerSecondPerConnection:
    'frames per socket (every frame: messages, pings, invalid ones), sliding one-second window by arrival time (at most 50); `0` turns it off',
  roomStartsPerMinutePerIp:
    'chats one address may start per minute (at most 100); an IPv6 address counts by its /64; `0` turns it off',
  roomStartsPerHourPerOwner:
    'new chats one owner may be sent per sliding hour, from any address (at most 100); `0` turns it off',
  socketsPerRoomMember: 'open sockets one visitor token, or one owner, may hold in one room (1-50)',
  throttleRatePerSecond: 'API Gateway stage throttling, both APIs',
  throttleBurst: 'API Gateway stage throttling, both APIs',
  messageRetentionDays: 'delete messages / idle rooms after this many days (DynamoDB TTL)',
  roomRetentionDays: 'delete messages / idle rooms after this many days (DynamoDB TTL)',
  connectionTtlSeconds: "socket rows expire this long after connecting (2-hour minimum: API Gateway's own limit)",
  eventBusName:
    'EventBridge bus of the push hook, by name (not ARN: 1-256 letters, digits, `. - _ /`); `""` turns it off',
  alarmEmail: 'e-mail subscribed to the alarm topic',
  logRetentionDays: `Lambda logs, the API stages' access logs and the distribution's access log; one of the periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(', ')}`,
  stageName: 'WebSocket stage (1-64 letters, digits, `_` or `-`)',
  stackName:
    'CloudFormation stack name (1-128 letters, digits or `-`, starting with a letter); `npm start` and the bench serve whatever stack the app synthesized',
  tableName: 'the DynamoDB table',
  wsCallbackUrl: "the WebSocket stage's management endpoint (https://<api>.execute-api.<region>.amazonaws.com/<stage>)",
  wsUrlTemplate: "a room's WebSocket URL with `{room_id}` (and, locally, `{host}`) to fill in",
  originVerifySecret: "the front door's origin-verify value: proves a request came through CloudFront",
  serviceName: 'the service name in every log line',
  logLevel: "the functions' log level",
});

/** Every environment variable the functions read, by setting name. */
export type EnvSettingName = {
  [K in SettingName]: (typeof SETTINGS)[K] extends { env: string } ? K : never;
}[SettingName];

/** The environment variable of a setting: `envName('tableName')` is 'TABLE_NAME'. */
export const envName = <K extends EnvSettingName>(name: K): (typeof SETTINGS)[K]['env'] => SETTINGS[name].env;

/** Every environment variable name the functions read. */
export const ENV_NAMES: readonly string[] = Object.values(SETTINGS as Record<string, SettingSpec>).flatMap((spec) =>
  spec.env ? [spec.env] : [],
);

/**
 * A function environment from setting values, keyed by the contract's names. The stack,
 * the local stack and the tests build environments this way, never by writing names out.
 */
export function environmentOf(
  values: Partial<Record<EnvSettingName, string | number | undefined>>,
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(values) as [EnvSettingName, string | number | undefined][]) {
    if (value !== undefined) environment[envName(name)] = String(value);
  }
  return environment;
}

/** The default as the README table shows it. */
export function defaultText(spec: SettingSpec): string {
  if (spec.defaultText !== undefined) return spec.defaultText;
  if (spec.default === undefined) return '';
  return `\`${Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default)}\``;
}

export interface SettingsTableRow {
  keys: string[];
  default: string;
  meaning: string;
}

/**
 * The README's settings table: one row per context setting, in the contract's order, with
 * neighbours that share a doc in one row (`jwtIssuer`, `jwtAudience`); their defaults are
 * shown once when equal, otherwise one per key.
 */
export function settingsTableRows(): SettingsTableRow[] {
  const docs = settingDocs();
  const rows: { doc: string; specs: SettingSpec[] }[] = [];
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) {
    if (!spec.context) continue;
    const last = rows.at(-1);
    if (last && last.doc === docs[name]) last.specs.push(spec);
    else rows.push({ doc: docs[name], specs: [spec] });
  }
  return rows.map(({ doc, specs }) => {
    const defaults = [...new Set(specs.map(defaultText))];
    return {
      keys: specs.map((spec) => spec.context!),
      default: defaults.length === 1 ? defaults[0]! : specs.map(defaultText).join(', '),
      meaning: doc,
    };
  });
}

/** The table as markdown, header included. */
export function settingsTableMarkdown(): string {
  const lines = ['| Key | Default | Meaning |', '|---|---|---|'];
  for (const row of settingsTableRows()) {
    const cells = [row.keys.map((key) => `\`${key}\``).join(', '), row.default, row.meaning];
    lines.push(`|${cells.map((cell) => (cell ? ` ${cell} ` : ' ')).join('|')}|`);
  }
  return lines.join('\n');
}
