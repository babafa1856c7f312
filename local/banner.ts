import { randomUUID } from 'node:crypto';
import type { LocalStack } from './local-stack.js';
import type { ReferencePages } from './reference-pages.js';
import { DEFAULT_JWT_SECRET } from './owner-token.js';

/**
 * What `npm start` prints: the URLs of every route and how to try them. It never prints a
 * secret the user supplied: the owner-token key is shown only when it is the local default
 * (which is public, in the repository); a key from JWT_SECRET is named, not shown.
 */
export function banner(
  stack: Pick<LocalStack, 'httpUrl' | 'wsUrl' | 'jwtSecret' | 'dynamoDb' | 'served'>,
  pages?: Pick<ReferencePages, 'url'>,
): string {
  const base = stack.httpUrl;
  const owner = randomUUID();
  // A resource has a route per method (GET, POST, ... so that API Gateway answers CORS
  // preflights); the description names the one method it serves, so each resource is one line.
  const rest = stack.served.httpRoutes
    .filter((r) => !r.routeKey.endsWith('+}'))
    .filter((r, i, all) => all.findIndex((other) => other.functionId === r.functionId) === i)
    .map((r) => {
      const path = r.routeKey.replace(/^\S+ /, '').replace(/\{(\w+)\}/g, '<$1>');
      // Descriptions read "POST /api/chat/start/: a visitor opens a room".
      const described = /^([A-Z]+) \S+: (.*)$/.exec(r.description ?? '');
      const method = described?.[1] ?? r.routeKey.split(' ')[0]!;
      return `    ${method.padEnd(5)}${`${base}${path}/`.padEnd(60)} ${described?.[2] ?? r.functionId}`;
    });
  return [
    '',
    `CarChat local stack on ${base}  (functions from cdk.out, ${stack.dynamoDb})`,
    '',
    '  REST',
    ...rest,
    '  WebSocket',
    `    ${stack.wsUrl}/ws/chat/<room_id>/?visitor=<visitor_token>`,
    `    ${stack.wsUrl}/ws/chat/<room_id>/?token=<owner JWT>`,
    `    ${stack.wsUrl}/ws/inbox/?token=<owner JWT>`,
    ...(pages
      ? [
          '  Reference pages (local only; docs/client.md)',
          `    ${`${pages.url}/chat/${owner}`.padEnd(72)} the visitor page a QR code opens`,
          `    ${`${pages.url}/owner/?owner=${owner}`.padEnd(72)} the owner console`,
        ]
      : []),
    '',
    stack.jwtSecret === DEFAULT_JWT_SECRET
      ? `  Owner tokens are HS256 with JWT_SECRET=${stack.jwtSecret} (the local default)`
      : '  Owner tokens are HS256 with the key you gave in JWT_SECRET (not printed)',
    '',
    'Try it:',
    `  curl -s -X POST ${base}/api/chat/start/ -H 'content-type: application/json' -d '{"user_id":"${owner}"}'`,
    `  npx wscat -c '${stack.wsUrl}/ws/chat/<room_id>/?visitor=<visitor_token>'     then send {"message":"Salom"}`,
    `  npm run -s token -- ${owner}     # an owner access token for that owner`,
    '',
    'Ctrl-C stops.',
    '',
  ].join('\n');
}
