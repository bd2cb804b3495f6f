'use strict';
// scripts/mutation-report.js (docs/MUTATION.md): how reports of several
// Stryker runs merge (a mutant detected by any run is detected), how the
// scores count verdicts, and the --uncovered spec the `native` run mutates.
const assert = require('node:assert');
const { merge, tally, uncoveredSpec } = require('../../scripts/mutation-report');

const SOURCE = 'const a = 1;\nif (a > 0) f();\nif (b) g();\nh();\n';

/** A Stryker JSON report of lib/x.js with the given [line, col, mutator, replacement, status] mutants. */
function report(mutants) {
  return {
    json: {
      files: {
        'lib/x.js': {
          source: SOURCE,
          mutants: mutants.map(([line, col, mutatorName, replacement, status], i) => ({
            id: String(i),
            mutatorName,
            replacement,
            status,
            location: { start: { line, column: col }, end: { line, column: col + 5 } },
          })),
        },
      },
    },
  };
}

describe('tooling: scripts/mutation-report.js', () => {
  it('merges runs: a mutant is detected when any run killed or timed it out', () => {
    const js = report([
      [2, 5, 'EqualityOperator', 'a >= 0', 'Survived'],
      [3, 5, 'ConditionalExpression', 'true', 'NoCoverage'],
      [4, 1, 'BlockStatement', '{}', 'Killed'],
    ]);
    const native = report([
      [2, 5, 'EqualityOperator', 'a >= 0', 'Survived'],
      [3, 5, 'ConditionalExpression', 'true', 'Timeout'],
    ]);
    const list = [...merge([js, native]).values()];
    assert.deepStrictEqual(list.map((e) => e.status).sort(), ['Killed', 'Survived', 'Timeout']);
    const t = tally(list, new Map());
    assert.deepStrictEqual([t.detected, t.survived, t.noCoverage, t.open, t.score], [2, 1, 0, 1, '66.7%']);
  });

  it('counts verdicts: killed by a later test and equivalent change the scores, the others stay open or undetected', () => {
    const list = [...merge([report([
      [1, 1, 'StringLiteral', '""', 'Survived'],
      [2, 5, 'EqualityOperator', 'a >= 0', 'Survived'],
      [3, 5, 'ConditionalExpression', 'true', 'Survived'],
      [4, 1, 'BlockStatement', '{}', 'Killed'],
    ])]).values()];
    const verdicts = new Map([
      [list.find((e) => e.line === 1).vkey, 'killed: test/x.test.js (by hand)'],
      [list.find((e) => e.line === 2).vkey, 'equivalent: no input tells them apart'],
      [list.find((e) => e.line === 3).vkey, 'perf: only speed differs'],
    ]);
    const t = tally(list, verdicts);
    assert.deepStrictEqual([t.score, t.withHand, t.withoutEquivalent, t.open], ['25.0%', '50.0%', '66.7%', 0]);
  });

  it('--uncovered: the lines of uncovered mutants, widened by 10 lines and merged into ranges', () => {
    const r = report([
      [3, 5, 'ConditionalExpression', 'true', 'NoCoverage'],
      [40, 1, 'BlockStatement', '{}', 'NoCoverage'],
      [45, 1, 'BlockStatement', '{}', 'NoCoverage'],
      [80, 1, 'BlockStatement', '{}', 'Survived'],
    ]);
    assert.strictEqual(uncoveredSpec([r]), 'lib/x.js:1-13,lib/x.js:30-55');
  });
});
