import { vi } from 'vitest';

/** What every handler needs; tests override or remove single entries. */
export const HANDLER_ENV: Record<string, string> = {
  TABLE_NAME: 'chat-table',
  WS_CALLBACK_URL: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod',
  WS_URL_TEMPLATE: 'wss://carinfopro.uz/ws/chat/{room_id}/',
  JWT_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:jwt-AbCdEf',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIAUNITTEST',
  AWS_SECRET_ACCESS_KEY: 'unit-test-secret',
};

const CONFIG_VARIABLES = [
  'JWT_JWKS_URL',
  'JWT_OWNER_CLAIM',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'EVENT_BUS_NAME',
  'MAX_MESSAGE_LENGTH',
  'MAX_MESSAGES_PER_ROOM',
  'ROOM_RETENTION_DAYS',
  'MESSAGE_RETENTION_DAYS',
  'CONNECTION_TTL_SECONDS',
  'MESSAGES_PER_SECOND_PER_CONNECTION',
  'ROOM_STARTS_PER_MINUTE_PER_IP',
  'ROOM_STARTS_PER_HOUR_PER_OWNER',
  'SOCKETS_PER_ROOM_MEMBER',
  'ORIGIN_VERIFY_SECRET',
];

/**
 * Sets the environment, then imports the handler module afresh so its module-level
 * configuration (read once, at load) sees it. Undefined removes a variable.
 * Pair with `vi.unstubAllEnvs()` in afterEach.
 */
export async function loadHandler<T>(load: () => Promise<T>, env: Record<string, string | undefined> = {}): Promise<T> {
  for (const name of CONFIG_VARIABLES) vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries({ ...HANDLER_ENV, ...env })) vi.stubEnv(name, value);
  vi.resetModules();
  return load();
}
