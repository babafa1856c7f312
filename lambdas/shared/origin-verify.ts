/**
 * Name of the header CloudFront adds to every origin request, carrying a per-stack value
 * the Lambdas also know: proof that a request came through this distribution, so its
 * CloudFront-Viewer-Address can be trusted. Kept free of CDK imports: the local gateway
 * (which plays the front door) and the Lambdas' tests read it too.
 */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';
