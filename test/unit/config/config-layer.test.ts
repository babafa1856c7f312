import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENV_NAMES } from '../../../lambdas/config/settings-contract.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

const sources = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );

/** lambdas/config reads the environment; the logger's service name is Powertools' own variable. */
const CONFIG_LAYER = (file: string) => file.startsWith('lambdas/config/') || file === 'lambdas/shared/logger.ts';

describe('the config layer', () => {
  it('is the only Lambda code that reads process.env', () => {
    const readers = sources('lambdas')
      .filter((file) => !CONFIG_LAYER(file))
      .filter((file) => /process\.env/.test(readFileSync(join(root, file), 'utf8')));

    expect(readers).toEqual([]);
  });

  it('holds the only literal environment variable names, in the settings contract', () => {
    const contract = 'lambdas/config/settings-contract.ts';
    const files = ['lambdas', 'lib', 'local', 'bench', 'test/unit/support']
      .flatMap(sources)
      .filter((file) => file !== contract);
    const names = ENV_NAMES.join('|');
    // 'TABLE_NAME', TABLE_NAME: (an object key), .TABLE_NAME (a property read).
    const literal = new RegExp(`['"\`](${names})['"\`]|\\b(${names})\\s*:|\\.(${names})\\b`);
    const spelled = files
      .filter((file) => file !== 'lambdas/shared/logger.ts')
      .flatMap((file) => {
        const match = literal.exec(readFileSync(join(root, file), 'utf8'));
        return match ? [`${relative(root, join(root, file))}: ${match[0]}`] : [];
      });

    expect(spelled).toEqual([]);
  });
});

describe('the handler tests', () => {
  // Handlers own the transport and nothing else: their tests run makeHandler(deps) on the
  // in-memory fakes. Mocking the SDK is for the adapter tests, where the requests are made.
  it('neither mock nor import the AWS SDK', () => {
    const sdk =
      /from\s+['"](aws-sdk-client-mock|@aws-sdk\/[^'"]+)['"]|import\(\s*['"](aws-sdk-client-mock|@aws-sdk\/[^'"]+)['"]/;
    const files = sources('test/unit/handlers');
    const importers = files.filter((file) => sdk.test(readFileSync(join(root, file), 'utf8')));

    expect(files.length).toBeGreaterThan(0);
    expect(importers).toEqual([]);
  });
});
