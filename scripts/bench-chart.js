#!/usr/bin/env node
'use strict';
// Draws the rows of `npm run bench -- --json <file>` that have a goal as an
// SVG bar chart (hand-written SVG, no dependencies):
//
//   node scripts/bench-chart.js bench.json docs/bench.svg
//   npm run bench:chart -- bench.json docs/bench.svg
//
// Ratio goals (">= 1.2x"): one bar per row, the median ratio to the row's
// baseline on a log scale, the min–max of the per-round ratios as a whisker,
// the goal as a marker line. Other goals ("<= 20 KiB", ">= 10 k/s"): the
// measured value divided by the goal (1 = the goal) on a second panel, the
// value and the goal in the label. Green: the median meets the goal; red:
// it does not. Native backend: solid bars; JavaScript backend: hatched.

const fs = require('node:fs');

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node scripts/bench-chart.js <bench.json> <out.svg>');
  process.exit(2);
}
const data = JSON.parse(fs.readFileSync(input, 'utf8'));
const rows = (Array.isArray(data) ? data : data.rows || []).filter((r) => r.goal !== null && r.goal !== undefined && r.goalOp);

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fix = (v) => (Math.round(v * 10) / 10).toString();

function meets(v, op, goal) {
  if (v === null || v === undefined || Number.isNaN(v)) return false;
  switch (op) {
    case '>=':
      return v >= goal;
    case '>':
      return v > goal;
    case '<=':
      return v <= goal;
    case '<':
      return v < goal;
    default:
      return false;
  }
}

function fmt(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(2) + ' M';
  if (a >= 1e4) return (v / 1e3).toFixed(1) + ' k';
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function shortSuite(s) {
  return String(s || '')
    .replace(/\s*\(.*$/, '')
    .replace(/:.*$/, '')
    .trim();
}

// native and js of the same benchmark next to each other, in the order of the run
function order(list) {
  const key = (r) => `${r.suite}\u0000${r.name}`;
  const first = new Map();
  list.forEach((r, i) => {
    if (!first.has(key(r))) first.set(key(r), i);
  });
  const suiteFirst = new Map();
  list.forEach((r, i) => {
    if (!suiteFirst.has(r.suite)) suiteFirst.set(r.suite, i);
  });
  return [...list].sort(
    (a, b) =>
      suiteFirst.get(a.suite) - suiteFirst.get(b.suite) ||
      first.get(key(a)) - first.get(key(b)) ||
      (a.backend === 'native' ? 0 : 1) - (b.backend === 'native' ? 0 : 1),
  );
}

// each charted item: { label, backend, v (median), lo, hi (whisker, may be null), goal, op, met, note }
const ratioItems = order(rows.filter((r) => r.goalUnit === 'x')).map((r) => ({
  suite: shortSuite(r.suite),
  label: r.name,
  backend: r.backend,
  v: r.ratio,
  lo: r.spread ? r.spread[0] : null,
  hi: r.spread ? r.spread[1] : null,
  goal: r.goal,
  op: r.goalOp,
  met: meets(r.ratio, r.goalOp, r.goal),
  note: `${r.ratio.toFixed(2)}x (goal ${r.goalText})`,
  tip: `${r.ratio.toFixed(2)}x vs ${r.baselineName}${r.spread ? ` (${r.spread[0].toFixed(2)}–${r.spread[1].toFixed(2)})` : ''}; goal ${r.goalText}`,
}));

const otherItems = order(rows.filter((r) => r.goalUnit !== 'x')).map((r) => {
  const hasValue = r.value !== undefined && r.value !== null;
  const v = hasValue ? r.value : r.rate;
  const range = hasValue ? r.valueSpread : r.rateSpread;
  const unit = hasValue ? r.valueUnit || '' : r.unit || '';
  return {
    suite: shortSuite(r.suite),
    label: r.name,
    backend: r.backend,
    v: v / r.goal,
    lo: range ? range[0] / r.goal : null,
    hi: range ? range[1] / r.goal : null,
    goal: 1,
    op: r.goalOp,
    met: meets(v, r.goalOp, r.goal),
    note: `${fmt(v)} ${unit} (goal ${r.goalText})`,
    tip: `${fmt(v)} ${unit}, ${r.ratio.toFixed(2)}x vs ${r.baselineName}; goal ${r.goalText}`,
  };
});

// ---- layout -----------------------------------------------------------------

const W = 1200;
const LABEL_W = 560;
const PLOT_X = LABEL_W + 20;
const PLOT_W = W - PLOT_X - 190; // room on the right for the value labels
const ROW_H = 22;
const BAR_H = 13;
const COLORS = { met: '#2e9d55', unmet: '#d1453b', goal: '#222', whisker: '#333', grid: '#ddd', axis: '#888', text: '#222', muted: '#666' };

function logScale(items, minFloor, maxFloor) {
  const vals = items.flatMap((i) => [i.v, i.lo, i.hi, i.goal]).filter((v) => v > 0 && Number.isFinite(v));
  let lo = Math.min(minFloor, ...vals) / 1.15;
  let hi = Math.max(maxFloor, ...vals) * 1.15;
  lo = 2 ** Math.floor(Math.log2(lo));
  hi = 2 ** Math.ceil(Math.log2(hi));
  const x = (v) => PLOT_X + ((Math.log2(Math.max(v, lo)) - Math.log2(lo)) / (Math.log2(hi) - Math.log2(lo))) * PLOT_W;
  const ticks = [];
  for (let t = lo; t <= hi * 1.0001; t *= 2) ticks.push(t);
  return { x, ticks, lo };
}

function truncate(s, n) {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

const out = [];
let y = 52;

function panel(title, items, axisLabel, tickFmt, minFloor, maxFloor) {
  if (!items.length) return;
  const sc = logScale(items, minFloor, maxFloor);
  y += 34;
  out.push(`<text x="20" y="${y}" class="h2">${esc(title)}</text>`);
  y += 14;
  const top = y;
  let lastSuite = null;
  const body = [];
  for (const it of items) {
    if (it.suite !== lastSuite) {
      y += 6;
      body.push(`<text x="20" y="${y + 12}" class="suite">${esc(it.suite)}</text>`);
      y += 18;
      lastSuite = it.suite;
    }
    const cy = y + ROW_H / 2;
    const fill = it.met ? COLORS.met : COLORS.unmet;
    const pat = it.met ? 'url(#hatch-met)' : 'url(#hatch-unmet)';
    const x0 = sc.x(sc.lo);
    const x1 = sc.x(it.v);
    body.push(`<text x="30" y="${cy + 4}" class="label"><tspan class="tag">${esc(it.backend)}</tspan> ${esc(truncate(it.label, 78))}</text>`);
    body.push(
      `<rect x="${fix(x0)}" y="${fix(cy - BAR_H / 2)}" width="${fix(Math.max(1, x1 - x0))}" height="${BAR_H}" fill="${it.backend === 'js' ? pat : fill}" stroke="${fill}" stroke-width="1"><title>${esc(`${it.backend}: ${it.label}\n${it.tip}`)}</title></rect>`,
    );
    if (it.lo !== null && it.hi !== null) {
      const a = sc.x(it.lo);
      const b = sc.x(it.hi);
      body.push(`<line x1="${fix(a)}" y1="${fix(cy)}" x2="${fix(b)}" y2="${fix(cy)}" class="whisker"/>`);
      body.push(`<line x1="${fix(a)}" y1="${fix(cy - 4)}" x2="${fix(a)}" y2="${fix(cy + 4)}" class="whisker"/>`);
      body.push(`<line x1="${fix(b)}" y1="${fix(cy - 4)}" x2="${fix(b)}" y2="${fix(cy + 4)}" class="whisker"/>`);
    }
    const g = sc.x(it.goal);
    body.push(`<line x1="${fix(g)}" y1="${fix(cy - BAR_H / 2 - 3)}" x2="${fix(g)}" y2="${fix(cy + BAR_H / 2 + 3)}" class="goal"/>`);
    const textX = Math.max(x1, it.hi !== null ? sc.x(it.hi) : x1, g) + 6;
    body.push(`<text x="${fix(textX)}" y="${cy + 4}" class="value">${esc(it.note)}</text>`);
    y += ROW_H;
  }
  const bottom = y + 4;
  const grid = [];
  for (const t of sc.ticks) {
    const x = sc.x(t);
    grid.push(`<line x1="${fix(x)}" y1="${top}" x2="${fix(x)}" y2="${bottom}" class="${t === 1 ? 'one' : 'grid'}"/>`);
    grid.push(`<text x="${fix(x)}" y="${bottom + 14}" class="tick" text-anchor="middle">${esc(tickFmt(t))}</text>`);
  }
  out.push(...grid, ...body);
  out.push(`<text x="${PLOT_X + PLOT_W / 2}" y="${bottom + 30}" class="axis" text-anchor="middle">${esc(axisLabel)}</text>`);
  y = bottom + 36;
}

const tickX = (t) => (t >= 1 ? `${t}x` : `${+t.toFixed(3)}x`);
panel(
  'Ratio to the baseline measured in the same rounds (median; whisker: min–max over the rounds; black line: the goal)',
  ratioItems,
  'ratio to the baseline (log scale; > 1: faster than the baseline)',
  tickX,
  0.5,
  2,
);
panel(
  'Other goals: the measured value / the goal (1 = the goal; whisker: min–max)',
  otherItems,
  'value / goal (log scale; the goal is ">=" or "<=" as labelled)',
  (t) => (t >= 1 ? `${t}` : `${+t.toFixed(3)}`),
  0.5,
  2,
);

const meta = Array.isArray(data) ? {} : data;
const sub = [
  meta.node && `node ${meta.node}`,
  meta.cpu && `${meta.cpu}${meta.cores ? `, ${meta.cores} cores` : ''}`,
  meta.commit && `commit ${meta.commit}`,
  meta.date && meta.date.slice(0, 10),
  meta.quick ? 'npm run bench -- --quick (shorter runs, fewer rounds)' : meta.quick === false ? 'npm run bench' : null,
]
  .filter(Boolean)
  .join(' · ');
const all = [...ratioItems, ...otherItems];
const met = all.filter((i) => i.met).length;
const total = all.length;
const byBackend = [...new Set(all.map((i) => i.backend))]
  .map((b) => `${b} ${all.filter((i) => i.backend === b && i.met).length} of ${all.filter((i) => i.backend === b).length}`)
  .join(', ');
const H = y + 60;

const legendY = H - 30;
const svg = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif">
<defs>
  <pattern id="hatch-met" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><rect width="3" height="6" fill="${COLORS.met}"/></pattern>
  <pattern id="hatch-unmet" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><rect width="3" height="6" fill="${COLORS.unmet}"/></pattern>
  <style>
    .h1 { font-size: 18px; font-weight: 600; fill: ${COLORS.text}; }
    .h2 { font-size: 13px; font-weight: 600; fill: ${COLORS.text}; }
    .sub { font-size: 11px; fill: ${COLORS.muted}; }
    .suite { font-size: 12px; font-weight: 600; fill: ${COLORS.text}; }
    .label { font-size: 11px; fill: ${COLORS.text}; }
    .tag { font-family: Menlo, Consolas, monospace; font-size: 10px; fill: ${COLORS.muted}; }
    .value { font-size: 10px; fill: ${COLORS.text}; }
    .tick, .axis { font-size: 10px; fill: ${COLORS.muted}; }
    .grid { stroke: ${COLORS.grid}; stroke-width: 1; }
    .one { stroke: ${COLORS.axis}; stroke-width: 1; stroke-dasharray: 3 2; }
    .whisker { stroke: ${COLORS.whisker}; stroke-width: 1.2; }
    .goal { stroke: ${COLORS.goal}; stroke-width: 2.5; }
  </style>
</defs>
<rect width="100%" height="100%" fill="#fff"/>
<text x="20" y="26" class="h1">enclave-stream-native benchmarks: goals met, ${esc(byBackend)}</text>
<text x="20" y="44" class="sub">${esc(sub)}</text>
${out.join('\n')}
<g transform="translate(20 ${legendY})">
  <rect x="0" y="0" width="26" height="12" fill="${COLORS.met}"/><text x="32" y="10" class="label">native, goal met</text>
  <rect x="140" y="0" width="26" height="12" fill="url(#hatch-met)" stroke="${COLORS.met}"/><text x="172" y="10" class="label">js backend, goal met</text>
  <rect x="300" y="0" width="26" height="12" fill="${COLORS.unmet}"/><text x="332" y="10" class="label">native, goal not met</text>
  <rect x="460" y="0" width="26" height="12" fill="url(#hatch-unmet)" stroke="${COLORS.unmet}"/><text x="492" y="10" class="label">js backend, goal not met</text>
  <line x1="640" y1="-2" x2="640" y2="14" class="goal"/><text x="648" y="10" class="label">goal</text>
  <line x1="700" y1="6" x2="740" y2="6" class="whisker"/><line x1="700" y1="2" x2="700" y2="10" class="whisker"/><line x1="740" y1="2" x2="740" y2="10" class="whisker"/><text x="748" y="10" class="label">min–max over the rounds</text>
</g>
</svg>
`;
fs.writeFileSync(output, svg);
console.log(`${output}: ${total} rows with a goal (${ratioItems.length} ratios, ${otherItems.length} other), ${met} met`);
