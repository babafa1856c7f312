import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { SERVICE_NAME } from './metric-names.js';

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

/** Powertools' logger, with its cold-start flag readable (addContext spends it per instance). */
class InvocationLogger extends PowertoolsLogger {
  /** True on the first call in an on-demand execution environment, false afterwards. */
  takeColdStart(): boolean {
    return this.getColdStart();
  }

  protected override createLogger(options: ConstructorParameters<typeof PowertoolsLogger>[0]): InvocationLogger {
    return new InvocationLogger(options);
  }
}

const root = new InvocationLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME });

/**
 * A logger for one invocation: every line carries the Lambda context as Powertools'
 * `addContext` writes it (`cold_start`, `function_request_id`, `function_name`, ...) and these
 * keys (API request id, connection id, route...). A child per invocation, not the shared root
 * with its keys reset, because the local stack runs invocations side by side in one process.
 */
export function loggerFor(keys: Record<string, unknown>, context?: Context): Logger {
  // The root's cold-start flag is the process's (true on its first invocation only); a child
  // has its own, so it is spent here when this is not the first, before addContext reads it.
  const coldStart = root.takeColdStart();
  const child = root.createChild() as InvocationLogger;
  if (context) {
    if (!coldStart) child.takeColdStart();
    child.addContext(context);
  }
  child.appendKeys(keys);
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, extra?: Record<string, unknown>) =>
    extra ? child[level](message, extra) : child[level](message);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
