#!/usr/bin/env node
'use strict';
// Merges StrykerJS JSON reports (one per partial or per-backend run) into the
// scores and the survivor list that docs/MUTATION.md keeps.
//
//   node scripts/mutation-report.js reports/server.json reports/client.json ...
//   node scripts/mutation-report.js --open reports/*.json   # only survivors with no verdict yet
//   node scripts/mutation-report.js --write reports/*.json  # rewrites the scores of docs/MUTATION.md and docs/mutation/survivors.md
//   node scripts/mutation-report.js --uncovered reports/runs/crypto.json
//       # a --mutate spec of the lines holding uncovered mutants (with 10 lines
//       # around each): what the `native` run of scripts/mutate.sh mutates
//
// A mutant is the same mutant in two reports when its file, position, mutator
// and replacement are the same. It counts as detected when any run killed it
// or timed it out (the test suite runs on every backend, so a bug caught on
// one backend is caught by `npm test`). Verdicts for survivors come from the
// tables of docs/MUTATION.md and docs/mutation/survivors.md (`| file:line:col | mutator | mutant | verdict |`);
// a survivor without a row there is "open".
//
// Scores, as Stryker defines them:
//   score          = detected / (detected + survived + no coverage)
//   covered score  = detected / (detected + survived)
// then the same counting the survivors whose verdict is "killed: <test>" (a
// test written after the run, each checked by applying the mutant by hand,
// until the next run measures it), and, because an equivalent mutant is not
// a bug (no input can tell it from the original), that score with the
// equivalent survivors left out; the others (perf, defensive, backend, open)
// count as undetected.

const fs = require('node:fs');
const path = require('node:path');

const DOC = path.join(__dirname, '..', 'docs', 'MUTATION.md');
// the survivor list: a developer's file, kept out of the npm tarball (docs/*.md ships)
const SURVIVORS = path.join(__dirname, '..', 'docs', 'mutation', 'survivors.md');
const DETECTED = new Set(['Killed', 'Timeout']);
const RANK = { Killed: 4, Timeout: 4, Survived: 3, NoCoverage: 2, Ignored: 1, CompileError: 0, RuntimeError: 0, Pending: 0 };

/** One line for a replacement: whitespace collapsed, cut at 60 characters. */
function shortText(s) {
  const t = String(s).replace(/\s+/g, ' ').trim();
  return t.length > 60 ? `${t.slice(0, 59)}…` : t;
}

function keyOf(file, line, col, mutator, replacement) {
  return `${file}:${line}:${col}|${mutator}|${shortText(replacement)}`;
}

/** The source text a mutant replaces (location lines and columns are 1-based). */
function originalText(source, loc) {
  if (typeof source !== 'string') return '';
  const lines = source.split('\n');
  const { start, end } = loc;
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  const parts = [lines[start.line - 1].slice(start.column - 1)];
  for (let l = start.line; l < end.line - 1; l++) parts.push(lines[l]);
  parts.push(lines[end.line - 1].slice(0, end.column - 1));
  return parts.join('\n');
}

/** A key that survives line moves: file, mutator, original and replacement. */
function textKey(file, mutator, original, replacement) {
  return `${file}|${mutator}|${shortText(original)}|${shortText(replacement)}`;
}

/** Merges the reports: Map key -> { file, line, col, mutator, original, replacement, status, runs }. */
function merge(reports) {
  const all = new Map();
  for (const { label, json } of reports) {
    for (const [file, f] of Object.entries(json.files)) {
      for (const m of f.mutants) {
        const { line, column } = m.location.start;
        // two mutants may share start, mutator and replacement (a condition and one of its parts)
        const k = `${keyOf(file, line, column, m.mutatorName, m.replacement)}|${m.location.end.line}:${m.location.end.column}`;
        let e = all.get(k);
        if (!e) {
          const original = shortText(originalText(f.source, m.location));
          // a verdict row matches by position only when its original text is the same too
          const vkey = `${keyOf(file, line, column, m.mutatorName, m.replacement)}|${original}`;
          const tkey = textKey(file, m.mutatorName, original, m.replacement);
          const lkey = `loose|${keyOf(file, line, column, m.mutatorName, m.replacement)}`;
          e = { file, line, col: column, vkey, tkey, lkey, mutator: m.mutatorName, original, replacement: shortText(m.replacement), status: m.status, runs: [] };
          all.set(k, e);
        } else if ((RANK[m.status] || 0) > (RANK[e.status] || 0)) {
          e.status = m.status;
        }
        e.runs.push(`${label}:${m.status}`);
      }
    }
  }
  return all;
}

/**
 * Verdict rows of docs/MUTATION.md and the survivor list: Map key -> verdict
 * text. A row is found by its position and original text (the code may have
 * moved: a position alone can name another mutant), else by its text alone
 * (file, mutator, original, replacement) when no two rows with that text
 * disagree, else (rows that do not give the original) by position alone.
 */
function readVerdicts(files = [DOC, SURVIVORS]) {
  const out = new Map();
  const ambiguous = new Set();
  const text = files.filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  for (const line of text.split('\n')) {
    const m = /^\| (lib\/[^ |]+):(\d+):(\d+)(?: \([^)]*\))? \| (\w+) \| (.*) \| ([^|]*) \|$/.exec(line);
    if (!m) continue;
    const cell = m[5].replace(/\\\|/g, '|');
    const arrow = cell.lastIndexOf(' → ');
    const unquote = (t) => t.replace(/^`|`$/g, '');
    const mutant = unquote(arrow === -1 ? cell : cell.slice(arrow + 3));
    const verdict = m[6].trim();
    if (verdict === 'open' || verdict === 'open (no coverage)' || verdict === '') continue; // no verdict yet (an `open: <why>` is kept)
    if (arrow === -1) {
      out.set(`loose|${keyOf(m[1], m[2], m[3], m[4], mutant)}`, verdict);
      continue;
    }
    const original = unquote(cell.slice(0, arrow));
    out.set(`${keyOf(m[1], m[2], m[3], m[4], mutant)}|${original}`, verdict);
    const tk = textKey(m[1], m[4], original, mutant);
    const kind = (v) => v.split(/[: ]/)[0];
    if (out.has(tk) && kind(out.get(tk)) !== kind(verdict)) ambiguous.add(tk);
    out.set(tk, verdict);
  }
  for (const tk of ambiguous) out.delete(tk);
  return out;
}

/** The verdict of merged mutant e, or undefined. */
function verdictOf(e, verdicts) {
  return verdicts.get(e.vkey) ?? verdicts.get(e.tkey) ?? verdicts.get(e.lkey);
}

function pct(n, d) {
  return d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`;
}

function tally(list, verdicts) {
  const t = { detected: 0, byHand: 0, survived: 0, noCoverage: 0, equivalent: 0, open: 0 };
  for (const e of list) {
    if (DETECTED.has(e.status)) t.detected++;
    else if (e.status === 'Survived' || e.status === 'NoCoverage') {
      if (e.status === 'Survived') t.survived++;
      else t.noCoverage++;
      const v = verdictOf(e, verdicts);
      if (v === undefined || v.startsWith('open')) t.open++;
      else if (v.startsWith('killed')) t.byHand++;
      else if (v.startsWith('equivalent')) t.equivalent++;
    }
  }
  const valid = t.detected + t.survived + t.noCoverage;
  t.score = pct(t.detected, valid);
  t.covered = pct(t.detected, t.detected + t.survived);
  t.withHand = pct(t.detected + t.byHand, valid);
  t.withoutEquivalent = pct(t.detected + t.byHand, valid - t.equivalent);
  return t;
}

const HEAD = [
  '| file | mutants | detected | survived | no coverage | score | covered score | killed by a later test | score with those | equivalent | score without equivalent | open |',
  '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
];

function row(name, t) {
  const valid = t.detected + t.survived + t.noCoverage;
  return `| ${name} | ${valid} | ${t.detected} | ${t.survived} | ${t.noCoverage} | ${t.score} | ${t.covered} | ${t.byHand} | ${t.withHand} | ${t.equivalent} | ${t.withoutEquivalent} | ${t.open} |`;
}

function md(cell) {
  return `\`${cell.replace(/\|/g, '\\|')}\``;
}

/** Replaces the text between `<!-- mutation:NAME -->` and `<!-- /mutation:NAME -->` in the doc. */
function replaceBlock(doc, name, body) {
  const open = `<!-- mutation:${name} -->`;
  const close = `<!-- /mutation:${name} -->`;
  const a = doc.indexOf(open);
  const b = doc.indexOf(close);
  if (a === -1 || b < a) throw new Error(`no ${open} … ${close} block`);
  return `${doc.slice(0, a + open.length)}\n${body}${doc.slice(b)}`;
}

/**
 * A --mutate spec (`file:from-to,…`) of the lines that hold NoCoverage
 * mutants in `reports`, each widened by `pad` lines (the code may have moved
 * a little since): the lines only another backend runs.
 */
function uncoveredSpec(reports, pad = 10) {
  const spec = [];
  for (const { json } of reports) {
    for (const [file, f] of Object.entries(json.files)) {
      const lines = new Set();
      for (const m of f.mutants) {
        if (m.status !== 'NoCoverage') continue;
        for (let l = Math.max(1, m.location.start.line - pad); l <= m.location.end.line + pad; l++) lines.add(l);
      }
      const ls = [...lines].sort((a, b) => a - b);
      for (let i = 0; i < ls.length; ) {
        let j = i;
        while (j + 1 < ls.length && ls[j + 1] === ls[j] + 1) j++;
        spec.push(`${file}:${ls[i]}-${ls[j]}`);
        i = j + 1;
      }
    }
  }
  return spec.join(',');
}

function main(argv) {
  const openOnly = argv.includes('--open');
  const write = argv.includes('--write');
  const files = argv.filter((a) => !a.startsWith('--'));
  if (files.length === 0) {
    process.stderr.write('usage: node scripts/mutation-report.js [--open | --write | --uncovered] report.json[=label] ...\n');
    return 2;
  }
  const reports = files.map((spec) => {
    const [file, label = path.basename(file, '.json')] = spec.split('=');
    return { label, json: JSON.parse(fs.readFileSync(file, 'utf8')) };
  });
  if (argv.includes('--uncovered')) {
    process.stdout.write(`${uncoveredSpec(reports)}\n`);
    return 0;
  }
  const all = merge(reports);
  const verdicts = readVerdicts();
  const list = [...all.entries()].map(([key, e]) => ({ key, ...e }));
  const out = [];
  if (!openOnly) {
    out.push(...HEAD);
    const byFile = new Map();
    const byFolder = new Map();
    for (const e of list) {
      if (!byFile.has(e.file)) byFile.set(e.file, []);
      byFile.get(e.file).push(e);
      const folder = path.dirname(e.file);
      if (!byFolder.has(folder)) byFolder.set(folder, []);
      byFolder.get(folder).push(e);
    }
    for (const file of [...byFile.keys()].sort()) out.push(row(file, tally(byFile.get(file), verdicts)));
    for (const folder of [...byFolder.keys()].sort()) out.push(row(`**${folder}/**`, tally(byFolder.get(folder), verdicts)));
    out.push(row('**all**', tally(list, verdicts)));
    out.push('');
  }
  out.push('| where | mutator | original → mutant | verdict |');
  out.push('| --- | --- | --- | --- |');
  list.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  for (const e of list) {
    if (e.status !== 'Survived' && e.status !== 'NoCoverage') continue;
    const v = verdictOf(e, verdicts);
    if (openOnly && v !== undefined) continue;
    const fallback = e.status === 'NoCoverage' ? 'open (no coverage)' : 'open';
    out.push(`| ${e.file}:${e.line}:${e.col} | ${e.mutator} | ${md(e.original)} → ${md(e.replacement)} | ${v === undefined ? fallback : v} |`);
  }
  if (write) {
    const blank = out.indexOf('');
    fs.writeFileSync(DOC, replaceBlock(fs.readFileSync(DOC, 'utf8'), 'scores', `${out.slice(0, blank).join('\n')}\n`));
    fs.writeFileSync(SURVIVORS, replaceBlock(fs.readFileSync(SURVIVORS, 'utf8'), 'survivors', `${out.slice(blank + 1).join('\n')}\n`));
    process.stdout.write(`${out.slice(0, blank).join('\n')}\n(written to docs/MUTATION.md and docs/mutation/survivors.md)\n`);
    return 0;
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

module.exports = { merge, readVerdicts, tally, uncoveredSpec };
