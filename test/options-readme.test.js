'use strict';
// The README lists every option of every public constructor: each table
// printed by scripts/options-table.js (from lib/options.js) appears in it
// as printed, so an option added, renamed or given a new default shows up
// here until the README is regenerated.

const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { optionsTable, owners } = require('../lib/options');

describe('README option tables', () => {
  // Skipped while the README is being rewritten (issue 13); enable once its
  // tables are pasted from `node scripts/options-table.js`.
  it.skip('holds the table of every constructor as scripts/options-table.js prints it', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const missing = owners()
      .filter(([owner, platform]) => !readme.includes(optionsTable(owner, platform)))
      .map(([owner, platform]) => (platform ? `${owner} (${platform})` : owner));
    assert.deepStrictEqual(missing, [], `README.md lacks the option tables of ${missing.join(', ')}: paste them from \`node scripts/options-table.js\``);
  });
});
