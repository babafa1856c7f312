import { describe, expect, it } from 'vitest';
import { settingsTableRows } from '../../../lambdas/config/settings-contract.js';
import { findSettingsTable, SETTINGS_TABLE_HEADER } from '../../../scripts/settings-table.js';

/** Splits a markdown table row into its cells (no cell in this table holds a `|`). */
const cells = (line: string) =>
  line
    .replace(/^\|/, '')
    .replace(/\|\s*$/, '')
    .split('|')
    .map((cell) => cell.trim());

/** The operators' settings table, row by row, as written. */
function documentedRows() {
  const { file, text, start, end } = findSettingsTable();
  const lines = text.slice(start, end).trimEnd().split('\n');
  expect(lines[0]).toBe(SETTINGS_TABLE_HEADER);
  return {
    file,
    rows: lines.slice(2).map((line) => {
      const [keys = '', defaults = '', meaning = ''] = cells(line);
      return { keys: keys.split(',').map((key) => key.trim().replace(/^`|`$/g, '')), default: defaults, meaning };
    }),
  };
}

describe('the settings table in the docs', () => {
  it('lists every context setting of the contract, in its order, and nothing else', () => {
    const { file, rows } = documentedRows();

    expect(
      rows.map((row) => row.keys),
      `${file}: run npm run docs:settings`,
    ).toEqual(settingsTableRows().map((row) => row.keys));
  });

  it("gives each setting the contract's default and meaning", () => {
    const { file, rows } = documentedRows();
    const contract = new Map(settingsTableRows().map((row) => [row.keys.join(','), row]));

    for (const row of rows) {
      const declared = contract.get(row.keys.join(','));
      expect(row.default, `${file}: default of ${row.keys.join(', ')}`).toBe(declared?.default);
      expect(row.meaning, `${file}: meaning of ${row.keys.join(', ')}`).toBe(declared?.meaning);
    }
  });
});
