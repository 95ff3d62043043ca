import type { CellRun } from './types.js';

/** XML 1.0 text: escaped, and without the characters XML cannot carry at all. */
function xml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * JUnit XML for CI dashboards: one test suite per cell, one test case per case
 * (and repeat); a wrong decision is a failure. Judge errors are scored as the
 * failure decision like everywhere else, and noted in the case's output.
 */
export function renderJunit(runs: readonly CellRun[]): string {
  let total = 0;
  let failures = 0;
  const suites: string[] = [];
  for (const run of runs) {
    const cases: string[] = [];
    let suiteFailures = 0;
    let time = 0;
    const repeated = run.records.some((x) => x.epoch > 0);
    for (const r of run.records) {
      const wrong = r.decision !== r.label.decision;
      if (wrong) suiteFailures++;
      time += r.latencyMs / 1000;
      const name = repeated ? `${r.caseId}#${r.epoch}` : r.caseId;
      const body: string[] = [];
      if (wrong) {
        body.push(`<failure type="wrong-decision" message="${xml(`expected ${r.label.decision}, got ${r.decision}`)}">${xml(r.reason)}</failure>`);
      }
      if (r.error) body.push(`<system-out>${xml(`judge failed (${r.error.code}): ${r.error.message}`)}</system-out>`);
      cases.push(
        `    <testcase classname="${xml(run.cell.id)}" name="${xml(name)}" time="${(r.latencyMs / 1000).toFixed(6)}"${
          body.length ? `>\n      ${body.join('\n      ')}\n    </testcase>` : ' />'
        }`,
      );
    }
    total += run.records.length;
    failures += suiteFailures;
    suites.push(
      `  <testsuite name="${xml(run.cell.id)}" tests="${run.records.length}" failures="${suiteFailures}" errors="0" skipped="0" time="${time.toFixed(6)}">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="intentguard eval" tests="${total}" failures="${failures}" errors="0">\n${suites.join('\n')}\n</testsuites>\n`;
}
