/** An error as one log-safe line: its class and message, never its stack or attached data. */
export const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
