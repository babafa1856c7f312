import { defineConfig } from 'vitest/config';

/**
 * Five projects, each run alone by its own npm script (npm test runs them all):
 *   unit         domain core, handlers and adapters with mocked SDK clients
 *   infra        the synthesized CDK template, and cdk-nag
 *   integration  real sockets and fetch against the local stack and a real DynamoDB API
 *   client       the client kit (client/) against an in-memory fake server, and its build
 *   browser      the reference pages (pages/) in Chromium against the local stack
 */
/** Lambda runs Node 24; on a Node 20 machine the SDK's notice about future releases is noise. */
const QUIET_SDK = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', ...QUIET_SDK },
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          env: QUIET_SDK,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'client',
          include: ['client/test/**/*.test.ts'],
          // The build test runs esbuild and tsc.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // The local stack imports the synthesized bundles; Node runs them as Lambda does,
          // untransformed (and a 400 KB minified bundle is slow to transform).
          server: { deps: { external: [/\/cdk\.out\//] } },
          testTimeout: 60_000,
          hookTimeout: 120_000,
          env: { POWERTOOLS_LOG_LEVEL: 'SILENT', ...QUIET_SDK },
          // One local stack per file; files run one after another on a 2-core machine.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          server: { deps: { external: [/\/cdk\.out\//] } },
          // A token must really expire in one scenario: its lifetime plus the API's 30 s of clock skew.
          testTimeout: 120_000,
          hookTimeout: 120_000,
          env: { POWERTOOLS_LOG_LEVEL: 'SILENT', ...QUIET_SDK },
          // One local stack and one Chromium per file, one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
