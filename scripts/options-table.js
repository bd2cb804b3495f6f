'use strict';
// Prints the options of every public constructor as Markdown tables
// (option | type | default | meaning), from their one description in
// lib/options.js: the README's option tables are pasted from this.
//   node scripts/options-table.js [Name ...]   (default: every constructor)

const { optionsTable, owners } = require('../lib/options');

/** The Markdown section of one constructor. */
function section(owner, platform, title) {
  return `#### ${title} options\n\n${optionsTable(owner, platform)}`;
}

function main(names) {
  const all = owners();
  const unknown = names.filter((n) => !all.some(([o]) => o === n));
  if (unknown.length) {
    process.stderr.write(`options-table: no options described for ${unknown.join(', ')} (known: ${[...new Set(all.map(([o]) => o))].join(', ')})\n`);
    process.exitCode = 2;
    return;
  }
  const picked = names.length ? all.filter(([o]) => names.includes(o)) : all;
  process.stdout.write(picked.map(([o, p, title]) => section(o, p, title)).join('\n'));
}

if (require.main === module) main(process.argv.slice(2));

module.exports = { section };
