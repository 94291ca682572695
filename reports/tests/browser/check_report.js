// Opens fixture reports in headless Chromium and asserts what a reviewer relies on.
//   node check_report.js basic|xss|suite DIR     a test (exit 1 with reasons on failure)
//   node check_report.js bench REPORT.html [N]   load time of one report, N loads
'use strict';
const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');
const { launch } = require('./cdp');

const failures = [];
function expect(cond, what) {
  if (!cond) failures.push(what);
}

// Shared by every case: no console errors or exceptions, no dialogs, no network.
function expectClean(page, url) {
  expect(page.errors.length === 0, `console errors: ${JSON.stringify(page.errors)}`);
  expect(page.dialogs.length === 0, `a dialog opened (a script ran): ${JSON.stringify(page.dialogs)}`);
  const foreign = page.requests.filter((u) => u !== url && !u.startsWith('data:'));
  expect(foreign.length === 0, `requests other than the file itself: ${JSON.stringify(foreign)}`);
}

// What the page shows, gathered in the page (values only: nothing to execute comes back).
const INSPECT = `(() => {
  const q = (s) => document.querySelectorAll(s);
  const rows = [...q('#summary-table tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent));
  const poly = [...q('#dissemination-svg polyline.rumor-line')];
  return {
    title: document.title,
    summaryRows: rows,
    laneRects: q('#timeline-lanes rect').length,
    faultShapes: q('#timeline-faults > *').length,
    laneLabels: [...q('#timeline-svg > text')].map((t) => t.textContent),
    rumorLines: poly.length,
    rumorPoints: poly.reduce((n, p) => n + p.points.numberOfItems, 0),
    modelCurve: !!document.getElementById('model-curve'),
    metricTables: q('.metric-table').length,
    evidenceRows: q('table.evidence tbody tr:not(.logs)').length,
    logBlocks: [...q('tr.logs pre')].map((p) => p.textContent),
    command: document.getElementById('command').textContent,
    notes: [...q('#notes-list li')].map((li) => li.textContent),
    timelineNote: document.getElementById('timeline-note').textContent,
    scripts: q('script').length,
    imgs: q('img').length,
    bodyText: document.body.textContent,
    glReport: window.glReport,
  };
})()`;

async function hover(page, selector) {
  const box = await page.eval(`(() => { const e = document.querySelector(${JSON.stringify(selector)});
    e.scrollIntoView({ block: 'center' });
    const r = e.getBoundingClientRect();
    return { x: r.left + r.width * 0.55, y: r.top + r.height * 0.5 }; })()`);
  await page.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x: box.x, y: box.y });
  return page.eval(`(() => { const t = document.getElementById('tooltip'); return t.hidden ? '' : t.textContent; })()`);
}

async function checkRun(browser, dir, name, outDir) {
  const file = path.join(dir, name, 'report.html');
  const url = pathToFileURL(file).href;
  const page = await browser.newPage();
  const ms = await page.open(url);
  const s = await page.eval(INSPECT);
  expect(s.summaryRows.length >= 5, `summary table has ${s.summaryRows.length} rows, expected 5`);
  const verdicts = s.summaryRows.map((r) => r[1].trim().toLowerCase());
  const rank = { fail: 0, unknown: 1, pass: 2 };
  expect(verdicts.every((v, i) => i === 0 || rank[verdicts[i - 1]] <= rank[v]), `failing checks not first: ${verdicts}`);
  expect(verdicts[0] === 'fail', `first summary row is ${verdicts[0]}, expected fail`);
  expect(s.laneRects > 0, 'timeline has no lane segments');
  expect(s.faultShapes > 0, 'timeline shows no fault intervals');
  expect(s.rumorLines > 0 && s.rumorPoints > 2, `dissemination chart is empty (${s.rumorLines} lines, ${s.rumorPoints} points)`);
  expect(s.modelCurve, 'dissemination chart lacks the epidemic model curve');
  expect(s.metricTables > 0, 'no measurement tables');
  expect(s.evidenceRows >= 2, `evidence rows: ${s.evidenceRows}`);
  expect(s.logBlocks.length > 0 && s.logBlocks.every((b) => b.length > 0), 'no node log lines around evidence');
  expect(s.notes.some((n) => /problem\(s\) in the record/.test(n)), `the malformed history line is not noted: ${JSON.stringify(s.notes)}`);
  expect(s.glReport && s.glReport.ready, 'window.glReport.ready not set');

  const tipLane = await hover(page, '#timeline-svg');
  expect(/t = [\d.]+ s/.test(tipLane) && / sees: /.test(tipLane), `timeline hover shows no value: ${JSON.stringify(tipLane)}`);
  const tipDiss = await hover(page, '#dissemination-svg');
  expect(/nodes informed/.test(tipDiss), `dissemination hover shows no value: ${JSON.stringify(tipDiss)}`);
  await page.eval(`document.querySelector('a.evlink').click()`);
  expect(await page.eval(`!!document.getElementById('evidence-marker')`), 'clicking evidence did not mark the timeline');

  const shot = path.join(outDir, `${name}.png`);
  const bytes = await page.screenshot(shot);
  expect(bytes > 10000, `screenshot ${shot} is only ${bytes} bytes`);
  expectClean(page, url);
  console.log(`${name}: loaded in ${ms.toFixed(0)} ms, ${s.summaryRows.length} checks, ${s.laneRects} lane segments, ` +
    `${s.rumorLines} rumor curves, screenshot ${shot} (${bytes} bytes)`);
  return { page, s };
}

async function caseBasic(browser, dir, outDir) {
  const { s } = await checkRun(browser, dir, 'basic', outDir);
  expect(s.command === 'gossiplab run scenarios/synthetic.json --seed 42 --impl reference', `command: ${s.command}`);
  expect(s.laneLabels.includes('n3'), 'no lane for n3');
  // The pass fixture's 64-bit seed must not be rounded by JavaScript.
  const browserPass = await browser.newPage();
  const passUrl = pathToFileURL(path.join(dir, 'pass', 'report.html')).href;
  await browserPass.open(passUrl);
  const text = await browserPass.eval('document.getElementById("run-info").textContent');
  expect(text.includes('18446744073709551557'), 'the 64-bit seed is not shown exactly');
  expectClean(browserPass, passUrl);
}

async function caseXss(browser, dir, outDir) {
  const { s } = await checkRun(browser, dir, 'xss', outDir);
  const s1 = '<script>alert(1)</script>';
  const s2 = '"><img src=x onerror=alert(1)>';
  expect(s.scripts === 2, `the page has ${s.scripts} script elements, expected only its own 2`);
  expect(s.imgs === 0, `the page has ${s.imgs} img elements: markup from the run was parsed`);
  expect(s.title.includes(s1), 'the hostile scenario name is not shown as text in the title');
  expect(s.laneLabels.some((l) => l.startsWith('"><img')), `hostile node id not shown as a lane label: ${s.laneLabels}`);
  expect(s.bodyText.includes(s1) && s.bodyText.includes(s2), 'hostile strings are not shown as text');
  expect(s.logBlocks.some((b) => b.includes(s1)), 'hostile log line not shown as text');
  expect(s.command.includes(s2), 'hostile command not shown as text');
  // Let any deferred handler (onerror of a broken image) have its chance to run.
  await new Promise((r) => setTimeout(r, 300));
}

async function caseSuite(browser, dir, outDir) {
  const url = pathToFileURL(path.join(dir, 'suite', 'index.html')).href;
  const page = await browser.newPage();
  await page.open(url, 30000, false); // the index has no script: nothing to wait for
  const s = await page.eval(`(() => ({
    rows: [...document.querySelectorAll('#suite-table tbody tr')].map((tr) => tr.textContent),
    links: [...document.querySelectorAll('#suite-table a')].map((a) => a.href),
    imgs: document.querySelectorAll('img').length,
    across: [...document.querySelectorAll('#across-table tbody tr')].map((tr) => tr.textContent),
  }))()`);
  expect(s.rows.length === 4, `index has ${s.rows.length} rows, expected 4`);
  expect(s.across.length === 1 && /load_flatness/.test(s.across[0]) && /fail/.test(s.across[0]),
    `index lacks the load flatness row across runs: ${JSON.stringify(s.across)}`);
  expect(s.rows.some((r) => /missing/.test(r)), 'the run without a report is not listed');
  expect(s.links.length === 3, `index has ${s.links.length} report links, expected 3`);
  for (const href of s.links) {
    const f = decodeURIComponent(new URL(href).pathname);
    expect(fs.existsSync(f), `index links to ${f}, which does not exist`);
  }
  expect(s.imgs === 0, 'index parsed markup from a run');
  await page.screenshot(path.join(outDir, 'suite.png'));
  expectClean(page, url);
  console.log(`suite: ${s.rows.length} rows, ${s.links.length} links`);
}

async function bench(file, runs) {
  const url = pathToFileURL(path.resolve(file)).href;
  const browser = await launch();
  try {
    const results = [];
    for (let i = 0; i < runs; i++) {
      const page = await browser.newPage();
      const wall = await page.open(url, 60000);
      const t = await page.eval(`(() => ({ render: window.glReport.renderMs, ready: window.glReport.readyAt,
        dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
        rects: document.querySelectorAll('#timeline-lanes rect').length }))()`);
      expectClean(page, url);
      results.push({ wall, ...t });
      await page.send('Page.close').catch(() => {});
    }
    const med = (k) => results.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
    const bytes = fs.statSync(file).size;
    console.log(`report ${file}: ${(bytes / 1e6).toFixed(1)} MB, ${runs} loads`);
    console.log(`median: navigate->drawn ${med('wall').toFixed(0)} ms (in page: ready at ${med('ready').toFixed(0)} ms, ` +
      `DOMContentLoaded ${med('dcl').toFixed(0)} ms, chart script ${med('render').toFixed(0)} ms), ${results[0].rects} lane rects`);
    console.log(`max: navigate->drawn ${Math.max(...results.map((r) => r.wall)).toFixed(0)} ms`);
    // One machine-readable line for bench/run.py: the chart script as a multiple of the
    // browser's own parse of the same page (DOMContentLoaded), both in the same loads.
    console.log('bench-result ' + JSON.stringify({
      name: 'report-render',
      values: { report_bytes: bytes, loads: runs, median_drawn_ms: med('wall'),
        max_drawn_ms: Math.max(...results.map((r) => r.wall)), median_ready_ms: med('ready'),
        median_dcl_ms: med('dcl'), median_script_ms: med('render'), lane_rects: results[0].rects },
      ratios: { script_vs_parse: { value: med('dcl') > 0 ? med('render') / med('dcl') : 0,
        what: 'chart script time / DOMContentLoaded (median of the loads)' } },
    }));
  } finally {
    await browser.close();
  }
}

async function main() {
  const [mode, arg, extra] = process.argv.slice(2);
  const watchdog = setTimeout(() => { console.error('check_report.js: timed out after 150 s'); process.exit(1); }, 150000);
  if (mode === 'bench') {
    await bench(arg, Number(extra || 5));
  } else {
    const cases = { basic: caseBasic, xss: caseXss, suite: caseSuite };
    if (!cases[mode] || !arg) {
      console.error('usage: check_report.js basic|xss|suite DIR | bench REPORT.html [N]');
      process.exit(2);
    }
    const outDir = path.join(arg, 'screenshots');
    const browser = await launch();
    try {
      await cases[mode](browser, arg, outDir);
    } finally {
      await browser.close();
    }
  }
  clearTimeout(watchdog);
  if (failures.length) {
    for (const f of failures) console.error('FAIL: ' + f);
    process.exit(1);
  }
}

main().catch((e) => { console.error('check_report.js: ' + (e.stack || e)); process.exit(1); });
