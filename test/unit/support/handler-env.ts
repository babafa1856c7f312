import { ENV_NAMES, envName, environmentOf } from '../../../lambdas/config/settings-contract.js';
import { vi } from 'vitest';

/** What every handler needs; tests override or remove single entries. */
export const HANDLER_ENV: Record<string, string> = {
  ...environmentOf({
    tableName: 'chat-table',
    wsCallbackUrl: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod',
    wsUrlTemplate: 'wss://carinfopro.uz/ws/chat/{room_id}/',
    jwtSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:jwt-AbCdEf',
  }),
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIAUNITTEST',
  AWS_SECRET_ACCESS_KEY: 'unit-test-secret',
};

/**
 * Every variable of the settings contract, unset first so the machine's environment cannot
 * leak in; the log settings stay as the test run set them.
 */
const CONFIG_VARIABLES = ENV_NAMES.filter((name) => name !== envName('logLevel') && name !== envName('serviceName'));

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
