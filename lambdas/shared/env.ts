/**
 * Configuration comes from environment variables set by the CDK stack (or the local
 * gateway, which reads the same definitions). Each handler reads its settings once, at
 * module load, and fails fast with a message that names the missing or bad setting.
 */
/** Where settings are read from: the process environment, or a given set (benchmarks). */
export type Environment = Record<string, string | undefined>;

export function requireEnv(name: string, env: Environment = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export function optionalEnv(name: string, env: Environment = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function intEnv(
  name: string,
  fallback: number,
  range: { min: number; max: number },
  env: Environment = process.env,
): number {
  const raw = optionalEnv(name, env);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new Error(`${name} must be an integer from ${range.min} to ${range.max}, got "${raw}"`);
  }
  return value;
}
