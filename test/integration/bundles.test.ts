import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASSEMBLY_DIR, ensureSynthesized, templatePathOf } from '../../local/synth.js';

/**
 * The bundles `cdk deploy` uploads (and the local stack runs), read from the synthesized
 * assembly with the metafiles esbuild wrote beside them.
 */

/** Each deployed bundle stays under this (docs/BENCHMARKS.md has the sizes). */
const MAX_BUNDLE_BYTES = 320 * 1024;

/** The SDK's credential chain beyond the environment provider: never called in Lambda. */
const UNUSED_CREDENTIAL_CODE =
  /@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity|http|login)|nested-clients|token-providers)\//;

type Meta = { outputs: Record<string, { entryPoint?: string; inputs: Record<string, { bytesInOutput: number }> }> };
let bundles: { name: string; dir: string }[];

beforeAll(async () => {
  await ensureSynthesized();
  const resources = JSON.parse(readFileSync(templatePathOf(), 'utf8')).Resources as Record<
    string,
    { Type: string; Metadata?: Record<string, string> }
  >;
  bundles = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:path'])
    .map(([name, r]) => ({ name, dir: join(ASSEMBLY_DIR, r.Metadata!['aws:asset:path']!) }));
});

describe('deployed bundles', () => {
  it('exist for every function', () => {
    expect(bundles.length).toBeGreaterThanOrEqual(7);
  });

  it(`are each at most ${MAX_BUNDLE_BYTES / 1024} KB`, () => {
    const sizes = Object.fromEntries(bundles.map((b) => [b.name, statSync(join(b.dir, 'index.mjs')).size]));
    for (const [name, bytes] of Object.entries(sizes)) expect(bytes, name).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
  });

  it('carry the environment credential provider and none of the rest of the default chain', () => {
    for (const bundle of bundles) {
      const meta = JSON.parse(readFileSync(join(bundle.dir, 'index.meta.json'), 'utf8')) as Meta;
      const output = Object.values(meta.outputs).find((o) => o.entryPoint)!;
      const inputs = Object.entries(output.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([path]) => path);
      expect(
        inputs.filter((path) => UNUSED_CREDENTIAL_CODE.test(path)),
        bundle.name,
      ).toEqual([]);
      expect(
        inputs.some((path) => path.includes('@aws-sdk/credential-provider-env/')),
        bundle.name,
      ).toBe(true);
      // mnemonist's LRU cache is replaced too (lambdas/shared/lru-cache.ts): the bundles run it.
      expect(
        inputs.filter((path) => /node_modules\/(mnemonist|obliterator)\//.test(path)),
        bundle.name,
      ).toEqual([]);
    }
  });
});
