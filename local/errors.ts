/**
 * A failure the developer can fix from its message alone (a port in use, a template the
 * local gateway cannot serve, a failed synth): the CLI prints the message on one line and
 * exits 1 instead of printing a stack trace.
 */
export class LocalStackError extends Error {
  override readonly name = 'LocalStackError';
}
