import type { Logger } from '../../../lambdas/shared/logger.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

export interface LogEntry {
  level: Level;
  message: string;
  extra?: Record<string, unknown>;
}

/** Keeps every line so tests can assert what was logged (and what was not). */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];

  debug = this.at('debug');
  info = this.at('info');
  warn = this.at('warn');
  error = this.at('error');

  /** Entries with this message (any level). */
  find(message: string): LogEntry[] {
    return this.entries.filter((entry) => entry.message === message);
  }

  private at(level: Level) {
    return (message: string, extra?: Record<string, unknown>) => {
      this.entries.push({ level, message, ...(extra ? { extra } : {}) });
    };
  }
}

const ignore = () => undefined;
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
