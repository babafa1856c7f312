import type { Node } from 'constructs';
import {
  LOG_RETENTION_DAYS,
  SETTINGS,
  environmentOf,
  type IntSetting,
  type SettingName,
} from '../lambdas/config/settings-contract.js';

export { LOG_RETENTION_DAYS };

/**
 * Every deploy-time setting of the stack, read once from CDK context (`cdk deploy -c key=value`
 * or cdk.json) and validated here, so a typo fails the synth with a message naming the key.
 * Keys, defaults and ranges come from the settings contract (lambdas/config/settings-contract.ts),
 * which the README's settings table is checked against; the formats are checked here.
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

type IntSettingName = { [K in SettingName]: (typeof SETTINGS)[K] extends IntSetting ? K : never }[SettingName];

/** An integer setting in the contract's range, or the contract's default when unset. */
const int = (node: Context, name: IntSettingName): number => {
  const { context: key, default: fallback, min, max }: IntSetting = SETTINGS[name];
  const raw = node.tryGetContext(key!);
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`Context "${key}" must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
};

/** The context key of a setting. */
const key = (name: SettingName): string => (SETTINGS[name] as { context?: string }).context!;

/** A string setting that must match `format`; the message says what it must be. */
const matching = (node: Context, key: string, format: RegExp, what: string): string | undefined => {
  const value = str(node, key);
  if (value !== undefined && !format.test(value))
    throw new Error(`Context "${key}" must be ${what}, got ${JSON.stringify(value)}`);
  return value;
};

/** A DNS name as CloudFront and Route 53 take it: lowercase labels, no wildcard, no trailing dot. */
const DOMAIN_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/**
 * The stack's name, from the `stackName` setting: CloudFormation takes 1-128 letters, digits
 * and hyphens, starting with a letter. bin/app.ts names the stack with it.
 */
export function readStackName(node: Context): string {
  return (
    matching(
      node,
      key('stackName'),
      /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
      '1-128 letters, digits or -, starting with a letter',
    ) ?? SETTINGS.stackName.default
  );
}

const list = (node: Context, key: string): string[] => {
  const raw = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return [];
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw !== 'string') throw new Error(`Context "${key}" must be a comma-separated string or a list`);
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
};

/** A browser's Origin: scheme, host and an optional port, nothing else (no path, no trailing slash). */
const ORIGIN = /^https?:\/\/(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d{1,5})?$/;

const corsOrigins = (node: Context): string[] => {
  const origins = list(node, key('corsAllowedOrigins'));
  if (origins.length === 0) return [...SETTINGS.corsAllowedOrigins.default];
  if (origins.includes('*') && origins.length > 1) {
    throw new Error('Context "corsAllowedOrigins" must be "*" alone or a list of origins, not both');
  }
  const bad = origins.find((origin) => origin !== '*' && !ORIGIN.test(origin));
  if (bad !== undefined) {
    throw new Error(
      `Context "corsAllowedOrigins" must list origins like https://example.com or http://localhost:3000, got ${JSON.stringify(bad)}`,
    );
  }
  return origins;
};

export function readSettings(node: Context): ChatSettings {
  // The complete ARN (with the 6-character suffix): the functions' IAM grant names it exactly.
  const jwtSecretArn = matching(
    node,
    key('jwtSecretArn'),
    /^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/,
    'the complete ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)',
  );
  const jwtJwksUrl = str(node, key('jwtJwksUrl'));
  if (jwtSecretArn && jwtJwksUrl) throw new Error('Context: set at most one of "jwtSecretArn" and "jwtJwksUrl"');
  if (jwtJwksUrl && (!jwtJwksUrl.startsWith('https://') || !URL.canParse(jwtJwksUrl)))
    throw new Error('Context "jwtJwksUrl" must be an https:// URL');
  const stageName = str(node, key('stageName')) ?? SETTINGS.stageName.default;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stageName))
    throw new Error('Context "stageName" must be 1-64 letters, digits, _ or -');
  return {
    stageName,
    auth: {
      jwtSecretArn,
      jwtJwksUrl,
      ownerClaim:
        matching(node, key('jwtOwnerClaim'), /^[A-Za-z_][\w.:-]{0,127}$/, 'a claim name (letters, digits, _ . : -)') ??
        SETTINGS.jwtOwnerClaim.default,
      // Compared exactly with the token's iss/aud; stray spaces would refuse every token.
      issuer: matching(node, key('jwtIssuer'), /^\S(?:[^\s]{0,510}\S)?$/, 'at most 512 characters without spaces'),
      audience: matching(node, key('jwtAudience'), /^\S(?:[^\s]{0,510}\S)?$/, 'at most 512 characters without spaces'),
    },
    corsAllowedOrigins: corsOrigins(node),
    maxMessageLength: int(node, 'maxMessageLength'),
    maxMessagesPerRoom: int(node, 'maxMessagesPerRoom'),
    messageRetentionDays: int(node, 'messageRetentionDays'),
    roomRetentionDays: int(node, 'roomRetentionDays'),
    connectionTtlSeconds: int(node, 'connectionTtlSeconds'),
    limits: {
      messagesPerSecondPerConnection: int(node, 'messagesPerSecondPerConnection'),
      roomStartsPerMinutePerIp: int(node, 'roomStartsPerMinutePerIp'),
      roomStartsPerHourPerOwner: int(node, 'roomStartsPerHourPerOwner'),
      socketsPerRoomMember: int(node, 'socketsPerRoomMember'),
      throttleRatePerSecond: int(node, 'throttleRatePerSecond'),
      throttleBurst: int(node, 'throttleBurst'),
    },
    // A name (the stack builds the ARN in this account and region), as PutEvents validates it.
    eventBusName:
      node.tryGetContext(key('eventBusName')) === ''
        ? undefined
        : (matching(
            node,
            key('eventBusName'),
            /^[/.\w-]{1,256}$/,
            'an event bus name (1-256 letters, digits, . - _ /), not an ARN',
          ) ?? SETTINGS.eventBusName.default),
    logRetentionDays: logRetentionDays(node),
    frontDoor: readFrontDoor(node),
    // SNS refuses a malformed address at deploy time; refuse it here instead.
    alarmEmail: matching(node, key('alarmEmail'), /^[^\s@]+@[^\s@]+\.[^\s@.]+$/, 'an e-mail address'),
  };
}

function logRetentionDays(node: Context): number {
  const raw = node.tryGetContext(key('logRetentionDays'));
  if (raw === undefined || raw === null || raw === '') return SETTINGS.logRetentionDays.default;
  const value = Number(raw);
  if (!(SETTINGS.logRetentionDays.values as readonly number[]).includes(value)) {
    throw new Error(
      `Context "logRetentionDays" must be one of the periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(', ')}; got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function readFrontDoor(node: Context): ChatSettings['frontDoor'] {
  const enabled = node.tryGetContext(key('frontDoor'));
  if (![undefined, null, '', true, false, 'true', 'false'].includes(enabled)) {
    throw new Error(`Context "frontDoor" must be true or false, got ${JSON.stringify(enabled)}`);
  }
  if (enabled === false || enabled === 'false') return undefined;
  // CloudFront takes only lowercase alternate domain names.
  const domainName = matching(node, key('domainName'), DOMAIN_NAME, 'a lowercase domain name such as chat.example.com');
  const certificateArn = str(node, key('certificateArn'));
  if (!domainName !== !certificateArn) throw new Error('Context: "domainName" and "certificateArn" go together');
  if (certificateArn && !certificateArn.startsWith('arn:aws:acm:us-east-1:')) {
    throw new Error('Context "certificateArn" must be an ACM certificate in us-east-1 (CloudFront requires it)');
  }
  matching(
    node,
    key('certificateArn'),
    new RegExp(`^arn:aws:acm:us-east-1:\\d{12}:certificate/${UUID}$`),
    'arn:aws:acm:us-east-1:<account>:certificate/<id>',
  );
  const hostedZoneId = matching(
    node,
    key('hostedZoneId'),
    /^[A-Z0-9]{1,32}$/,
    'a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (without /hostedzone/)',
  );
  const hostedZoneName = matching(
    node,
    key('hostedZoneName'),
    DOMAIN_NAME,
    'a lowercase domain name such as example.com',
  );
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
      key('webAclArn'),
      new RegExp(`^arn:aws:wafv2:us-east-1:\\d{12}:global/webacl/[\\w-]{1,128}/${UUID}$`),
      'the ARN of a CLOUDFRONT-scope WAFv2 web ACL (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>)',
    ),
  };
}

/**
 * The settings every function's store reads, as their environment (the names from the contract).
 * The stack adds the per-function values (functions.ts), the table, the URLs and the owner-token settings.
 */
export function sharedFunctionEnvironment(settings: ChatSettings): Record<string, string> {
  return environmentOf({
    roomRetentionDays: settings.roomRetentionDays,
    messageRetentionDays: settings.messageRetentionDays,
    connectionTtlSeconds: settings.connectionTtlSeconds,
    messagesPerSecondPerConnection: settings.limits.messagesPerSecondPerConnection,
    roomStartsPerMinutePerIp: settings.limits.roomStartsPerMinutePerIp,
    roomStartsPerHourPerOwner: settings.limits.roomStartsPerHourPerOwner,
  });
}
