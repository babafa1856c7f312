import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { brokenLinks, headingAnchors } from './markdown-links.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** README.md and every docs/*.md: what a reader of the repository alone follows. */
function documentation(root: string): string[] {
  const docs = join(root, 'docs');
  return [
    join(root, 'README.md'),
    ...readdirSync(docs)
      .filter((name) => name.endsWith('.md'))
      .map((name) => join(docs, name)),
  ];
}

describe('the documentation links', () => {
  it('has no relative link that leaves the repository or points at a missing file or heading', () => {
    expect(brokenLinks(ROOT, documentation(ROOT))).toEqual([]);
  });

  it('links README.md to each document by audience', () => {
    const files = documentation(ROOT).map((file) => file.slice(ROOT.length));
    expect(files).toEqual(
      expect.arrayContaining(['docs/api.md', 'docs/deploy.md', 'docs/architecture.md', 'docs/development.md']),
    );
  });
});

describe('the link check', () => {
  function repository(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'links-'));
    mkdirSync(join(root, 'docs'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
    return root;
  }

  it('refuses a link out of the repository, to a missing file and to a missing heading', () => {
    const root = repository({
      'README.md': [
        '[guide](../shared/seed/chat-api-guide.md)',
        '[gone](docs/missing.md)',
        '[anchor](docs/api.md#no-such-heading)',
        '[here](#nowhere)',
      ].join('\n'),
      'docs/api.md': '# Client API\n',
    });
    expect(brokenLinks(root, documentation(root)).map((link) => [link.target, link.why])).toEqual([
      ['../shared/seed/chat-api-guide.md', 'leaves the repository'],
      ['docs/missing.md', 'docs/missing.md does not exist'],
      ['docs/api.md#no-such-heading', 'docs/api.md has no heading #no-such-heading'],
      ['#nowhere', 'README.md has no heading #nowhere'],
    ]);
  });

  it('accepts existing files and headings, web links, and brackets inside code', () => {
    const root = repository({
      'README.md': '[api](docs/api.md#start-a-chat-visitor) [web](https://example.com/x#y)\n`[not](a/link.md)`\n',
      'docs/api.md': '# Client API\n\n## Start a chat (visitor)\n\n```\n[no](../../out.md)\n```\n[up](../README.md)\n',
    });
    expect(brokenLinks(root, documentation(root))).toEqual([]);
  });

  it("makes GitHub's heading ids", () => {
    const anchors = headingAnchors(
      [
        '# Old → new URLs',
        "## A socket's path, and why a close is final",
        '## `npm start` and [links](x.md)',
        '## Notes',
        '## Notes',
        '```',
        '# not a heading',
        '```',
      ].join('\n'),
    );
    expect([...anchors]).toEqual([
      'old--new-urls',
      'a-sockets-path-and-why-a-close-is-final',
      'npm-start-and-links',
      'notes',
      'notes-1',
    ]);
  });
});
