import { ManagementApiGateway } from '../adapters/management-api-gateway.js';
import { requireEnv } from '../shared/env.js';

/** WS_CALLBACK_URL is the stage's execute-api URL (https://<api>.execute-api.<region>.amazonaws.com/<stage>). */
export const gatewayFromEnv = () => new ManagementApiGateway({ endpoint: requireEnv('WS_CALLBACK_URL') });
