import { describe, expect, it } from 'vitest';
import { banner } from '../../../local/banner.js';
import type { LocalStack } from '../../../local/local-stack.js';
import { DEFAULT_JWT_SECRET } from '../../../local/owner-token.js';

const stackWith = (jwtSecret: string): Parameters<typeof banner>[0] => ({
  httpUrl: 'http://localhost:8000',
  wsUrl: 'ws://localhost:8000',
  jwtSecret,
  dynamoDb: 'dynalite, in memory (nothing is kept)',
  served: {
    functions: {},
    // As served: one route per method and path, the greedy ones included.
    httpRoutes: ['GET', 'POST', 'PUT'].flatMap((method) =>
      ['/api/chat/start', '/api/chat/start/{proxy+}'].map((path) => ({
        routeKey: `${method} ${path}`,
        functionId: 'Start',
        description: 'POST /api/chat/start/: a visitor opens a room',
      })),
    ),
    webSocketRoutes: [],
    webSocketStage: 'prod',
    tables: {},
    environment: {},
  } satisfies LocalStack['served'],
});

describe('the npm start banner', () => {
  it('lists each REST resource once, with the method its function serves', () => {
    const lines = banner(stackWith(DEFAULT_JWT_SECRET))
      .split('\n')
      .filter((line) => line.includes('/api/chat/start/'));
    expect(lines.filter((line) => line.trim().startsWith('POST'))).toHaveLength(1);
    expect(lines.filter((line) => /^\s+(GET|PUT)\s/.test(line))).toEqual([]);
  });

  it('never prints a signing key the user supplied, and says where it came from', () => {
    const secret = 'the-django-signing-key-7f3a9c';
    const text = banner(stackWith(secret));
    expect(text).not.toContain(secret);
    expect(text).toContain('JWT_SECRET');
  });

  it('prints the local default key, which is public anyway', () => {
    expect(banner(stackWith(DEFAULT_JWT_SECRET))).toContain(`JWT_SECRET=${DEFAULT_JWT_SECRET} (the local default)`);
  });

  it('links the reference pages, the visitor page for the same owner as the examples', () => {
    const text = banner(stackWith(DEFAULT_JWT_SECRET), { url: 'http://localhost:8001' });
    const owner = /"user_id":"([0-9a-f-]{36})"/.exec(text)![1];
    expect(text).toContain(`http://localhost:8001/chat/${owner}`);
    expect(text).toContain(`http://localhost:8001/owner/?owner=${owner}`);
    expect(banner(stackWith(DEFAULT_JWT_SECRET))).not.toContain('Reference pages');
  });
});
