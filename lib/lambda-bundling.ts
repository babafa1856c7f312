/**
 * How every Lambda bundle is built, in one place and free of CDK imports: the CDK construct
 * (lib/constructs/chat-function.ts) hands these to esbuild through NodejsFunction, and the
 * benchmarks rebuild the same bundles with them.
 */

/** Node.js version the bundles target (the runtime is set beside it in chat-function.ts). */
export const BUNDLE_TARGET = 'node24';

/** Some bundled CommonJS dependencies call require(); give the ESM bundle one. */
export const ESM_REQUIRE_BANNER = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);";

/**
 * Packages replaced at build time, each by a module that says why it is safe. The SDK's
 * default credential chain becomes the environment provider alone
 * (lambdas/shared/env-credentials.ts), and mnemonist's LRU cache a Map-based one
 * (lambdas/shared/lru-cache.ts).
 * Paths are relative to the project root, where esbuild resolves aliases.
 */
export const BUNDLE_ALIASES: Record<string, string> = {
  '@aws-sdk/credential-provider-node': './lambdas/shared/env-credentials.ts',
  // The DynamoDB client's endpoint-discovery cache, built though discovery is off (see the file).
  'mnemonist/lru-cache': './lambdas/shared/lru-cache.ts',
};
