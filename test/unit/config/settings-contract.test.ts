import { describe, expect, it } from 'vitest';
import { readSettings } from '../../../lib/settings.js';
import { intEnv } from '../../../lambdas/config/env.js';
import {
  SETTINGS,
  settingDocs,
  type IntSetting,
  type SettingName,
  type SettingSpec,
} from '../../../lambdas/config/settings-contract.js';

/**
 * The contract is what both readers apply: the synth's context (lib/settings.ts) and the
 * functions' environment (lambdas/config) take the same defaults and the same ranges, so a
 * value the synth accepts is one the functions accept, and the other way round.
 */
const read = (context: Record<string, unknown>) => readSettings({ tryGetContext: (key: string) => context[key] });

const entries = Object.entries(SETTINGS) as [SettingName, SettingSpec][];
const ints = entries.filter((entry): entry is [SettingName, IntSetting] => entry[1].type === 'int');
const envInts = ints.filter(([, spec]) => spec.env !== undefined);

describe('the settings contract', () => {
  it('gives every setting a doc, and every context setting a distinct key', () => {
    const keys = entries.flatMap(([, spec]) => (spec.context ? [spec.context] : []));
    expect(new Set(keys).size).toBe(keys.length);
    const docs = settingDocs();
    for (const [name] of entries) expect(docs[name].trim(), name).not.toBe('');
  });

  it('is what the synth reads with no context at all', () => {
    const settings = read({});
    const flat: Record<string, unknown> = {
      ...settings,
      ...settings.limits,
      jwtOwnerClaim: settings.auth.ownerClaim,
      frontDoor: settings.frontDoor !== undefined,
    };

    for (const [name, spec] of entries) {
      if (spec.context && spec.default !== undefined && name !== 'stackName')
        expect(flat[name], name).toEqual(spec.default);
    }
  });

  it.each(ints.map(([name, spec]) => [name, spec] as const))(
    'bounds %s in the synth by the contract',
    (_name, spec) => {
      const key = spec.context!;
      for (const good of [spec.min, spec.max]) expect(() => read({ [key]: String(good) })).not.toThrow();
      for (const bad of [spec.min - 1, spec.max + 1]) expect(() => read({ [key]: String(bad) })).toThrow(key);
    },
  );

  it.each(envInts.map(([name, spec]) => [name, spec] as const))(
    'bounds %s in the functions by the same range and default',
    (name, spec) => {
      const env = (value: number) => ({ [spec.env!]: String(value) });
      const setting = name as Parameters<typeof intEnv>[0];
      expect(intEnv(setting, {})).toBe(spec.default);
      for (const good of [spec.min, spec.max]) expect(intEnv(setting, env(good))).toBe(good);
      for (const bad of [spec.min - 1, spec.max + 1]) expect(() => intEnv(setting, env(bad))).toThrow(spec.env);
    },
  );
});
