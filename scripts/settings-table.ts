import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { settingsTableMarkdown } from '../lambdas/config/settings-contract.js';

/**
 * The settings table of the operator docs, kept by the settings contract. The table moves
 * from README.md to docs/deploy.md with the docs split: whichever holds it is the one.
 */
export const SETTINGS_TABLE_HEADER = '| Key | Default | Meaning |';

const CANDIDATES = ['docs/deploy.md', 'README.md'];
const root = fileURLToPath(new URL('..', import.meta.url));

/** The document holding the settings table, and the table's lines (header included). */
export function findSettingsTable(): { file: string; text: string; start: number; end: number } {
  for (const file of CANDIDATES) {
    const path = `${root}${file}`;
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8');
    const start = text.indexOf(`${SETTINGS_TABLE_HEADER}\n`);
    if (start === -1) continue;
    let end = start;
    while (end < text.length && text[end] === '|') {
      const next = text.indexOf('\n', end);
      end = next === -1 ? text.length : next + 1;
    }
    return { file, text, start, end };
  }
  throw new Error(`No settings table ("${SETTINGS_TABLE_HEADER}") in ${CANDIDATES.join(' or ')}`);
}

/** `npm run docs:settings`: rewrites the table from the contract. */
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { file, text, start, end } = findSettingsTable();
  const updated = `${text.slice(0, start)}${settingsTableMarkdown()}\n${text.slice(end)}`;
  if (updated === text) console.log(`${file}: the settings table already matches the contract`);
  else {
    writeFileSync(`${root}${file}`, updated);
    console.log(`${file}: settings table rewritten from lambdas/config/settings-contract.ts`);
  }
}
