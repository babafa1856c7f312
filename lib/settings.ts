import type { Node } from 'constructs';

/**
 * Every deploy-time setting of the stack, read once from CDK context (`cdk deploy -c key=value`
 * or cdk.json) and validated here, so a typo fails the synth with a message naming the key.
 * The README's settings table documents each one.
 */
export interface ChatSettings {
  /** Stage of the WebSocket API; part of the raw wss:// URL. */
  stageName: string;
  auth: {
    /** ARN of an existing Secrets Manager secret holding the Django backend's HS256 key. */
    jwtSecretArn?: string;
    /** JWKS URL of an RS256/ES256 identity provider, instead of the shared secret. */
    jwtJwksUrl?: string;
    ownerClaim: string;
    issuer?: string;
    audience?: string;
  };
  /**
   * Origins a browser page may call the REST API from: `['*']` (any origin, the default:
   * no cookies are used, so no credentials are shared) or a list of `scheme://host[:port]`.
   */
  corsAllowedOrigins: string[];
  maxMessageLength: number;
  /** The most messages one room may hold; the next one is refused with room_full. */
  maxMessagesPerRoom: number;
  /** 0 keeps items forever. */
  messageRetentionDays: number;
  roomRetentionDays: number;
  /** Connection rows expire this long after connecting: a backstop for a missed $disconnect. */
  connectionTtlSeconds: number;
  limits: {
    messagesPerSecondPerConnection: number;
    roomStartsPerMinutePerIp: number;
    /** New rooms one owner gets per sliding hour; 0 turns the limit off. */
    roomStartsPerHourPerOwner: number;
    /** Open sockets one visitor token, or one owner, may hold in one room. */
    socketsPerRoomMember: number;
    /** API Gateway stage throttling, for both APIs. */
    throttleRatePerSecond: number;
    throttleBurst: number;
  };
  /** EventBridge bus for the offline-owner push hook; empty turns the hook off. */
  eventBusName?: string;
  logRetentionDays: number;
  /** CloudFront in front of both APIs, serving the clients' URLs (docs/api.md) on one domain. */
  frontDoor?: {
    customDomain?: { domainName: string; certificateArn: string; hostedZone?: { id: string; name: string } };
    webAclArn?: string;
  };
  /** E-mail address subscribed to the alarm topic; unset leaves the topic without subscribers. */
  alarmEmail?: string;
}

type Context = Pick<Node, 'tryGetContext'>;

const str = (node: Context, key: string): string | undefined => {
  const value = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`Context "${key}" must be a string`);
  return value;
};

const int = (node: Context, key: string, fallback: number, min: number, max: number): number => {
  const raw = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`Context "${key}" must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
};

/** A string setting that must match `format`; the message says what it must be. */
const matching = (node: Context, key: string, format: RegExp, what: string): string | undefined => {
  const value = str(node, key);
  if (value !== undefined && !format.test(value)) throw new Error(`Context "${key}" must be ${what}, got ${JSON.stringify(value)}`);
  return value;
};

/** A DNS name as CloudFront and Route 53 take it: lowercase labels, no wildcard, no trailing dot. */
const DOMAIN_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** The only retention periods CloudWatch Logs accepts (PutRetentionPolicy, RetentionDays). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * The stack's name, from the `stackName` setting: CloudFormation takes 1-128 letters, digits
 * and hyphens, starting with a letter. bin/app.ts names the stack with it.
 */
export function readStackName(node: Context): string {
  return matching(node, 'stackName', /^[A-Za-z][A-Za-z0-9-]{0,127}$/, '1-128 letters, digits or -, starting with a letter') ?? 'CarChat';
}

const list = (node: Context, key: string): string[] => {
  const raw = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return [];
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw !== 'string') throw new Error(`Context "${key}" must be a comma-separated string or a list`);
  return raw.split(',').map((item) => item.trim()).filter(Boolean);
};

/** A browser's Origin: scheme, host and an optional port, nothing else (no path, no trailing slash). */
const ORIGIN = /^https?:\/\/(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d{1,5})?$/;

const corsOrigins = (node: Context): string[] => {
  const origins = list(node, 'corsAllowedOrigins');
  if (origins.length === 0) return ['*'];
  if (origins.includes('*') && origins.length > 1) {
    throw new Error('Context "corsAllowedOrigins" must be "*" alone or a list of origins, not both');
  }
  const bad = origins.find((origin) => origin !== '*' && !ORIGIN.test(origin));
  if (bad !== undefined) {
    throw new Error(`Context "corsAllowedOrigins" must list origins like https://example.com or http://localhost:3000, got ${JSON.stringify(bad)}`);
  }
  return origins;
};

export function readSettings(node: Context): ChatSettings {
  // The complete ARN (with the 6-character suffix): the functions' IAM grant names it exactly.
  const jwtSecretArn = matching(
    node,
    'jwtSecretArn',
    /^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/,
    'the complete ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)',
  );
  const jwtJwksUrl = str(node, 'jwtJwksUrl');
  if (jwtSecretArn && jwtJwksUrl) throw new Error('Context: set at most one of "jwtSecretArn" and "jwtJwksUrl"');
  if (jwtJwksUrl && (!jwtJwksUrl.startsWith('https://') || !URL.canParse(jwtJwksUrl))) throw new Error('Context "jwtJwksUrl" must be an https:// URL');
  const stageName = str(node, 'stageName') ?? 'prod';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stageName)) throw new Error('Context "stageName" must be 1-64 letters, digits, _ or -');
  return {
    stageName,
    auth: {
      jwtSecretArn,
      jwtJwksUrl,
      ownerClaim: matching(node, 'jwtOwnerClaim', /^[A-Za-z_][\w.:-]{0,127}$/, 'a claim name (letters, digits, _ . : -)') ?? 'user_id',
      // Compared exactly with the token's iss/aud; stray spaces would refuse every token.
      issuer: matching(node, 'jwtIssuer', /^\S(?:[^\s]{0,510}\S)?$/, 'at most 512 characters without spaces'),
      audience: matching(node, 'jwtAudience', /^\S(?:[^\s]{0,510}\S)?$/, 'at most 512 characters without spaces'),
    },
    corsAllowedOrigins: corsOrigins(node),
    maxMessageLength: int(node, 'maxMessageLength', 4000, 1, 30_000),
    maxMessagesPerRoom: int(node, 'maxMessagesPerRoom', 10_000, 1, 1_000_000),
    messageRetentionDays: int(node, 'messageRetentionDays', 0, 0, 36_500),
    roomRetentionDays: int(node, 'roomRetentionDays', 0, 0, 36_500),
    // API Gateway closes every WebSocket after 2 hours, so 3 hours outlives any real one.
    connectionTtlSeconds: int(node, 'connectionTtlSeconds', 3 * 3600, 2 * 3600, 7 * 86_400),
    limits: {
      messagesPerSecondPerConnection: int(node, 'messagesPerSecondPerConnection', 5, 0, 50),
      // At most 100: the limit's UpdateExpression grows with it and must stay under DynamoDB's 4 KB.
      roomStartsPerMinutePerIp: int(node, 'roomStartsPerMinutePerIp', 10, 0, 100),
      // The same sliding window, the same 100 ceiling.
      roomStartsPerHourPerOwner: int(node, 'roomStartsPerHourPerOwner', 30, 0, 100),
      socketsPerRoomMember: int(node, 'socketsPerRoomMember', 5, 1, 50),
      throttleRatePerSecond: int(node, 'throttleRatePerSecond', 200, 1, 10_000),
      throttleBurst: int(node, 'throttleBurst', 400, 1, 5_000),
    },
    // A name (the stack builds the ARN in this account and region), as PutEvents validates it.
    eventBusName:
      node.tryGetContext('eventBusName') === ''
        ? undefined
        : (matching(node, 'eventBusName', /^[/.\w-]{1,256}$/, 'an event bus name (1-256 letters, digits, . - _ /), not an ARN') ?? 'default'),
    logRetentionDays: logRetentionDays(node),
    frontDoor: readFrontDoor(node),
    // SNS refuses a malformed address at deploy time; refuse it here instead.
    alarmEmail: matching(node, 'alarmEmail', /^[^\s@]+@[^\s@]+\.[^\s@.]+$/, 'an e-mail address'),
  };
}

function logRetentionDays(node: Context): number {
  const raw = node.tryGetContext('logRetentionDays');
  if (raw === undefined || raw === null || raw === '') return 30;
  const value = Number(raw);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(value)) {
    throw new Error(`Context "logRetentionDays" must be one of the periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(', ')}; got ${JSON.stringify(raw)}`);
  }
  return value;
}

function readFrontDoor(node: Context): ChatSettings['frontDoor'] {
  const enabled = node.tryGetContext('frontDoor');
  if (![undefined, null, '', true, false, 'true', 'false'].includes(enabled)) {
    throw new Error(`Context "frontDoor" must be true or false, got ${JSON.stringify(enabled)}`);
  }
  if (enabled === false || enabled === 'false') return undefined;
  // CloudFront takes only lowercase alternate domain names.
  const domainName = matching(node, 'domainName', DOMAIN_NAME, 'a lowercase domain name such as chat.example.com');
  const certificateArn = str(node, 'certificateArn');
  if (!domainName !== !certificateArn) throw new Error('Context: "domainName" and "certificateArn" go together');
  if (certificateArn && !certificateArn.startsWith('arn:aws:acm:us-east-1:')) {
    throw new Error('Context "certificateArn" must be an ACM certificate in us-east-1 (CloudFront requires it)');
  }
  matching(node, 'certificateArn', new RegExp(`^arn:aws:acm:us-east-1:\\d{12}:certificate/${UUID}$`), 'arn:aws:acm:us-east-1:<account>:certificate/<id>');
  const hostedZoneId = matching(node, 'hostedZoneId', /^[A-Z0-9]{1,32}$/, 'a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (without /hostedzone/)');
  const hostedZoneName = matching(node, 'hostedZoneName', DOMAIN_NAME, 'a lowercase domain name such as example.com');
  if (!hostedZoneId !== !hostedZoneName) throw new Error('Context: "hostedZoneId" and "hostedZoneName" go together');
  if (hostedZoneId && !domainName) throw new Error('Context: a hosted zone needs "domainName"');
  // Route 53 refuses a record outside the zone at deploy time.
  if (hostedZoneName && domainName && domainName !== hostedZoneName && !domainName.endsWith(`.${hostedZoneName}`)) {
    throw new Error(`Context "domainName" (${domainName}) must be in the zone "hostedZoneName" (${hostedZoneName})`);
  }
  return {
    customDomain:
      domainName && certificateArn
        ? {
            domainName,
            certificateArn,
            hostedZone: hostedZoneId && hostedZoneName ? { id: hostedZoneId, name: hostedZoneName } : undefined,
          }
        : undefined,
    // CloudFront takes a WAFv2 web ACL of CLOUDFRONT scope: global, and managed in us-east-1.
    webAclArn: matching(
      node,
      'webAclArn',
      new RegExp(`^arn:aws:wafv2:us-east-1:\\d{12}:global/webacl/[\\w-]{1,128}/${UUID}$`),
      'the ARN of a CLOUDFRONT-scope WAFv2 web ACL (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>)',
    ),
  };
}
