import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';

/** The package a team installs: `npm run build:client` output in client/dist. */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'client', 'dist');

/** Minified and gzipped, the bundle stays under this (the aim; docs/client.md states the measure). */
const MAX_GZIPPED_BYTES = 8 * 1024;

describe('the built client (npm run build:client)', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', '-s', 'build:client'], { cwd: root, stdio: 'pipe' });
  });

  it('writes the ESM bundle, its source map and the declarations', () => {
    for (const file of ['index.js', 'index.js.map', 'index.d.ts', 'types.d.ts']) {
      expect(existsSync(join(dist, file)), file).toBe(true);
    }
  });

  it('exports exactly the public names, and imports nothing (zero dependencies)', async () => {
    const source = readFileSync(join(dist, 'index.js'), 'utf8');
    expect(source).not.toMatch(/\bimport\s*[\s{*("']/);
    expect(source).not.toMatch(/\brequire\(/);
    const kit = (await import(join(dist, 'index.js'))) as Record<string, unknown>;
    expect(Object.keys(kit).sort()).toEqual(['ChatApiError', 'createChatClient']);
    const declarations = readFileSync(join(dist, 'index.d.ts'), 'utf8');
    expect(declarations).toContain('export declare function createChatClient');
  });

  it('is small: under 8 KB minified and gzipped', () => {
    const gzipped = gzipSync(readFileSync(join(dist, 'index.js')), { level: 9 }).length;
    console.info(`client/dist/index.js: ${gzipped} bytes minified and gzipped`);
    expect(gzipped).toBeLessThan(MAX_GZIPPED_BYTES);
  });

  it('logs nothing (no token or message text can reach a console)', () => {
    expect(readFileSync(join(dist, 'index.js'), 'utf8')).not.toMatch(/\bconsole\./);
  });

  it('has no node: imports in its source', () => {
    const sources = execFileSync('git', ['ls-files', '-co', '--exclude-standard', 'client/src'], { cwd: root })
      .toString()
      .trim()
      .split('\n');
    expect(sources.length).toBeGreaterThan(0);
    for (const file of sources) expect(readFileSync(join(root, file), 'utf8'), file).not.toMatch(/from ['"]node:/);
  });
});
