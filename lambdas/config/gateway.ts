import { ManagementApiGateway } from '../adapters/management-api-gateway.js';
import { requireEnv } from './env.js';

/** The stage's execute-api URL (https://<api>.execute-api.<region>.amazonaws.com/<stage>). */
export const gatewayFromEnv = () => new ManagementApiGateway({ endpoint: requireEnv('wsCallbackUrl') });
