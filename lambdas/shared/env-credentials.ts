/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (an esbuild alias,
 * lib/lambda-bundling.ts). Lambda always puts the function role's credentials in the
 * environment, so of the SDK's default chain (environment, SSO, INI files, process, web
 * identity, container and instance metadata) only the first link is ever used; the rest is
 * about 100 KB of clients per bundle that is parsed at every cold start and never called.
 * The local stack sets the same variables, so it runs these bundles unchanged.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
