import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The CloudFront Function's source with the stage path filled in, as deployed. */
export function wsViewerRequestCode(stagePath: string): string {
  if (!/^\/[A-Za-z0-9_-]+$/.test(stagePath)) throw new Error(`Bad stage path "${stagePath}"`);
  const source = readFileSync(fileURLToPath(new URL('./ws-viewer-request.cloudfront.js', import.meta.url)), 'utf8');
  return source.replace("'__STAGE_PATH__'", JSON.stringify(stagePath).replace(/"/g, "'"));
}

export interface CloudFrontQueryValue {
  value: string;
  multiValue?: { value: string }[];
}

export interface ViewerRequest {
  method?: string;
  uri: string;
  querystring: Record<string, CloudFrontQueryValue>;
  headers?: Record<string, { value: string }>;
}

export type ViewerRequestResult = ViewerRequest | { statusCode: number; statusDescription?: string };

/**
 * Loads the function into Node exactly as CloudFront runs it (a script defining `handler`),
 * for the unit tests and for the local gateway, which applies the same rewrite.
 */
export function loadWsViewerRequest(stagePath: string): (event: { request: ViewerRequest }) => ViewerRequestResult {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(`${wsViewerRequestCode(stagePath)}\nreturn handler;`)() as (event: {
    request: ViewerRequest;
  }) => ViewerRequestResult;
}
