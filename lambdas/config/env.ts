import { SETTINGS, type EnvSettingName, type IntSetting } from './settings-contract.js';

/**
 * Configuration comes from environment variables set by the CDK stack (or the local
 * gateway, which reads the same definitions), named and bounded by the settings contract.
 * Each handler reads its settings once, at cold start (`<deps>FromEnv()`), and fails fast
 * with a message that names the missing or bad variable. This is the only module that
 * touches `process.env`.
 */
/** Where settings are read from: the process environment, or a given set (benchmarks). */
export type Environment = Record<string, string | undefined>;

const processEnvironment = (): Environment => process.env;

export function requireEnv(name: EnvSettingName, env: Environment = processEnvironment()): string {
  const variable = SETTINGS[name].env;
  const value = env[variable];
  if (!value) throw new Error(`${variable} is not set`);
  return value;
}

/** The variable's value; unset or empty is undefined (the contract's default, if any, applies). */
export function optionalEnv(name: EnvSettingName, env: Environment = processEnvironment()): string | undefined {
  const value = env[SETTINGS[name].env];
  return value === undefined || value === '' ? undefined : value;
}

type IntEnvSettingName = { [K in EnvSettingName]: (typeof SETTINGS)[K] extends IntSetting ? K : never }[EnvSettingName];

/** An integer setting, in the contract's range, or its default when unset. */
export function intEnv(name: IntEnvSettingName, env: Environment = processEnvironment()): number {
  const spec: IntSetting = SETTINGS[name];
  const raw = optionalEnv(name, env);
  if (raw === undefined) return spec.default;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new Error(`${spec.env} must be an integer from ${spec.min} to ${spec.max}, got "${raw}"`);
  }
  return value;
}
