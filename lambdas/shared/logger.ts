import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

/**
 * The logging surface the domain depends on. Production uses Powertools' structured JSON
 * logger (level from POWERTOOLS_LOG_LEVEL); tests pass a silent or recording fake.
 * Never pass a token, JWT or message body as an extra field.
 */
export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

const root = new PowertoolsLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'carchat' });

/** A logger whose every line carries these keys (request id, connection id, room id...). */
export function loggerFor(keys: Record<string, unknown>): Logger {
  const child = root.createChild();
  child.appendKeys(keys);
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, extra?: Record<string, unknown>) =>
      extra ? child[level](message, extra) : child[level](message);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
