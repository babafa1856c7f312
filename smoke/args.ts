import { readFileSync } from 'node:fs';
import type { SmokeOptions } from './smoke.js';

export const USAGE = `usage: npm run smoke -- <base URL> | --outputs <cdk-outputs.json> [--stack <name>]
                      (--jwt-secret <key> | --token <owner JWT> [--owner-id <uuid>])
                      [--step-timeout <seconds>]
  The key and the token may come from SMOKE_JWT_SECRET / SMOKE_TOKEN instead of the command line.`;

export class UsageError extends Error {}

/**
 * The base URL from the file \`cdk deploy --outputs-file\` writes: { "<StackName>": { "BaseUrl": ... } }.
 * A stack deployed without the front door has no BaseUrl; its raw HTTP API (HttpApiUrl) is used then.
 */
export function baseUrlFromOutputs(file: string, stackName?: string): string {
  let outputs: Record<string, Record<string, unknown>>;
  try {
    outputs = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const stacks = Object.keys(outputs).filter((name) => outputs[name]?.BaseUrl ?? outputs[name]?.HttpApiUrl);
  const name = stackName ?? (stacks.length === 1 ? stacks[0] : undefined);
  if (!name) {
    throw new UsageError(
      stacks.length === 0
        ? `${file} names no stack with a BaseUrl output`
        : `${file} has several stacks (${stacks.join(', ')}); pick one with --stack`,
    );
  }
  const url = outputs[name]?.BaseUrl ?? outputs[name]?.HttpApiUrl;
  if (typeof url !== 'string') throw new UsageError(`${file} has no BaseUrl for stack ${name}`);
  return url;
}

/** Turns the command line (and the two environment variables) into the smoke test's options. */
export function parseArgs(argv: string[], env: Record<string, string | undefined> = process.env): SmokeOptions {
  const flags: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (!['outputs', 'stack', 'token', 'jwt-secret', 'owner-id', 'step-timeout'].includes(name))
      throw new UsageError(`unknown option --${name}`);
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
    flags[name] = value;
  }
  if (positional.length > 1) throw new UsageError(`one base URL, got ${positional.length}`);
  if (positional.length === 1 && flags.outputs) throw new UsageError('give a base URL or --outputs, not both');
  const baseUrl = positional[0] ?? (flags.outputs ? baseUrlFromOutputs(flags.outputs, flags.stack) : undefined);
  if (!baseUrl) throw new UsageError('no base URL');
  const token = flags.token ?? env.SMOKE_TOKEN;
  const jwtSecret = flags['jwt-secret'] ?? env.SMOKE_JWT_SECRET;
  if (!token && !jwtSecret)
    throw new UsageError('an owner token (--token) or the signing key (--jwt-secret) is needed');
  const options: SmokeOptions = { baseUrl };
  if (token) options.token = token;
  if (jwtSecret) options.jwtSecret = jwtSecret;
  if (flags['owner-id']) options.ownerId = flags['owner-id'];
  if (flags['step-timeout']) {
    const seconds = Number(flags['step-timeout']);
    if (!(seconds > 0 && seconds <= 30)) throw new UsageError('--step-timeout takes 1 to 30 seconds');
    options.stepTimeoutMs = seconds * 1000;
  }
  return options;
}
