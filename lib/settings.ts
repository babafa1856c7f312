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
  /** Origins allowed to call the REST API from a browser; empty means no CORS headers. */
  corsAllowedOrigins: string[];
  maxMessageLength: number;
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
  /** CloudFront in front of both APIs, serving the guide's URLs on one domain. */
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

const list = (node: Context, key: string): string[] => {
  const raw = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return [];
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw !== 'string') throw new Error(`Context "${key}" must be a comma-separated string or a list`);
  return raw.split(',').map((item) => item.trim()).filter(Boolean);
};

export function readSettings(node: Context): ChatSettings {
  const jwtSecretArn = str(node, 'jwtSecretArn');
  const jwtJwksUrl = str(node, 'jwtJwksUrl');
  if (jwtSecretArn && jwtJwksUrl) throw new Error('Context: set at most one of "jwtSecretArn" and "jwtJwksUrl"');
  if (jwtJwksUrl && !jwtJwksUrl.startsWith('https://')) throw new Error('Context "jwtJwksUrl" must be an https:// URL');
  const stageName = str(node, 'stageName') ?? 'prod';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stageName)) throw new Error('Context "stageName" must be 1-64 letters, digits, _ or -');
  return {
    stageName,
    auth: {
      jwtSecretArn,
      jwtJwksUrl,
      ownerClaim: str(node, 'jwtOwnerClaim') ?? 'user_id',
      issuer: str(node, 'jwtIssuer'),
      audience: str(node, 'jwtAudience'),
    },
    corsAllowedOrigins: list(node, 'corsAllowedOrigins'),
    maxMessageLength: int(node, 'maxMessageLength', 4000, 1, 30_000),
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
    eventBusName: node.tryGetContext('eventBusName') === '' ? undefined : (str(node, 'eventBusName') ?? 'default'),
    logRetentionDays: int(node, 'logRetentionDays', 30, 1, 3653),
    frontDoor: readFrontDoor(node),
    alarmEmail: str(node, 'alarmEmail'),
  };
}

function readFrontDoor(node: Context): ChatSettings['frontDoor'] {
  const enabled = node.tryGetContext('frontDoor');
  if (enabled === false || enabled === 'false') return undefined;
  const domainName = str(node, 'domainName');
  const certificateArn = str(node, 'certificateArn');
  if (!domainName !== !certificateArn) throw new Error('Context: "domainName" and "certificateArn" go together');
  if (certificateArn && !certificateArn.startsWith('arn:aws:acm:us-east-1:')) {
    throw new Error('Context "certificateArn" must be an ACM certificate in us-east-1 (CloudFront requires it)');
  }
  const hostedZoneId = str(node, 'hostedZoneId');
  const hostedZoneName = str(node, 'hostedZoneName');
  if (!hostedZoneId !== !hostedZoneName) throw new Error('Context: "hostedZoneId" and "hostedZoneName" go together');
  if (hostedZoneId && !domainName) throw new Error('Context: a hosted zone needs "domainName"');
  return {
    customDomain:
      domainName && certificateArn
        ? {
            domainName,
            certificateArn,
            hostedZone: hostedZoneId && hostedZoneName ? { id: hostedZoneId, name: hostedZoneName } : undefined,
          }
        : undefined,
    webAclArn: str(node, 'webAclArn'),
  };
}
