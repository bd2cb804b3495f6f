'use strict';
// Prints the options of every public constructor as Markdown tables
// (option | type | default | meaning), from their one description in
// lib/options.js, and keeps the README's copies of them in step.
//   node scripts/options-table.js [Name ...]   print the tables (default: every constructor)
//   node scripts/options-table.js --write      rewrite README.md's tables in place
//   node scripts/options-table.js --check      exit 1 when README.md's tables are stale
// (--readme <file> works on another file.) In the README each table sits
// between two marker comments, under its "### Options: <Name>" heading:
//   <!-- options:StreamServer -->  (browser codec: <!-- options:StreamDecoder:browser -->)
//   …the table…
//   <!-- /options -->
// --write replaces what is between them and leaves every other line alone.

const fs = require('node:fs');
const path = require('node:path');
const { optionsTable, owners } = require('../lib/options');

const README = path.join(__dirname, '..', 'README.md');
const BLOCK = /<!-- options:([A-Za-z]+(?::browser)?) -->\n([\s\S]*?)<!-- \/options -->/g;

/** The marker name of a table: the owner, `:browser` for the browser codec. */
const markerName = (owner, platform) => (platform ? `${owner}:${platform}` : owner);

/** What goes between the markers: the table, a blank line either side (Markdown needs them). */
const blockBody = (owner, platform) => `\n${optionsTable(owner, platform)}\n`;

/**
 * The README `text` with every marked table as lib/options.js prints it.
 * Returns { text, stale (marker names whose table changed), missing (owners
 * with no markers), unknown (markers naming no described owner) }.
 */
function updateReadme(text) {
  const bodies = new Map(owners().map(([owner, platform]) => [markerName(owner, platform), blockBody(owner, platform)]));
  const seen = new Set();
  const stale = [];
  const unknown = [];
  const out = text.replace(BLOCK, (whole, name, body) => {
    if (!bodies.has(name)) {
      unknown.push(name);
      return whole;
    }
    seen.add(name);
    if (body === bodies.get(name)) return whole;
    stale.push(name);
    return `<!-- options:${name} -->\n${bodies.get(name)}<!-- /options -->`;
  });
  const missing = [...bodies.keys()].filter((n) => !seen.has(n));
  return { text: out, stale, missing, unknown };
}

/** The Markdown section of one constructor (printing mode). */
function section(owner, platform, title) {
  return `#### ${title} options\n\n${optionsTable(owner, platform)}`;
}

function print(names) {
  const all = owners();
  const unknown = names.filter((n) => !all.some(([o]) => o === n));
  if (unknown.length) {
    process.stderr.write(`options-table: no options described for ${unknown.join(', ')} (known: ${[...new Set(all.map(([o]) => o))].join(', ')})\n`);
    return 2;
  }
  const picked = names.length ? all.filter(([o]) => names.includes(o)) : all;
  process.stdout.write(picked.map(([o, p, title]) => section(o, p, title)).join('\n'));
  return 0;
}

/** --write / --check on `file`; returns the exit code. */
function sync(file, write) {
  const rel = path.relative(process.cwd(), file) || file;
  const r = updateReadme(fs.readFileSync(file, 'utf8'));
  const problems = [];
  if (r.missing.length) problems.push(`no <!-- options:Name --> … <!-- /options --> markers for ${r.missing.join(', ')}: add them under the "### Options: Name" heading`);
  if (r.unknown.length) problems.push(`markers name no constructor described in lib/options.js: ${r.unknown.join(', ')}`);
  if (write) {
    if (r.stale.length) fs.writeFileSync(file, r.text);
    process.stdout.write(`options-table: ${r.stale.length ? `rewrote the tables of ${r.stale.join(', ')}` : 'every table is up to date'} in ${rel}\n`);
  } else if (r.stale.length) {
    problems.push(`stale tables: ${r.stale.join(', ')} (run \`node scripts/options-table.js --write\`)`);
  }
  for (const p of problems) process.stderr.write(`options-table: ${rel}: ${p}\n`);
  return problems.length ? 1 : 0;
}

function main(argv) {
  const args = [...argv];
  let file = README;
  const at = args.indexOf('--readme');
  if (at >= 0) {
    file = path.resolve(args[at + 1] || '');
    args.splice(at, 2);
  }
  const write = args.includes('--write');
  if (write || args.includes('--check')) return sync(file, write);
  return print(args);
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

module.exports = { section, updateReadme, markerName };
