import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

/**
 * Opens the HTML eval report in a real headless Chromium (Debian's package)
 * and checks that the charts rendered: every chart is an SVG with a non-zero
 * size, the confusion cells show the report's counts, and the page loads
 * nothing from the network.
 */

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  console.warn(`eval-report e2e: skipped because ${CHROMIUM} is absent (apt-get install chromium); CI installs it.`);
}

const SMALL = path.join(ROOT, 'test/evals/fixtures/small.jsonl');

interface ReportJson {
  results: { id: string; confusion: { labels: string[]; matrix: number[][] }; by_tag: Record<string, unknown> }[];
}

describe.skipIf(!HAVE_CHROMIUM)('the HTML eval report in headless Chromium', () => {
  let dir: string;
  let context: BrowserContext;
  let report: ReportJson;
  const external: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ig-html-'));
    // A first run is the baseline; it is made worse on paper so the before/after chart has something to draw.
    const base = path.join(dir, 'base');
    expect((await runCli(['eval', '--dataset', SMALL, '--out', base])).code).toBe(0);
    const baseline = JSON.parse(await readFile(path.join(base, 'report.json'), 'utf8')) as { results: Record<string, unknown>[] };
    baseline.results = baseline.results.map((r) => ({ ...r, accuracy: 0.5, false_allow_rate: 0.4 }));
    await writeFile(path.join(dir, 'baseline.json'), JSON.stringify(baseline));
    const run = await runCli(['eval', '--dataset', SMALL, '--out', path.join(dir, 'out'), '--baseline', path.join(dir, 'baseline.json')]);
    expect(run.code).toBe(0);
    report = JSON.parse(await readFile(path.join(dir, 'out', 'report.json'), 'utf8')) as ReportJson;

    context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      external.push(url);
      return route.abort();
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('renders every chart with a size, the confusion counts of the report, and loads nothing else', async () => {
    const page = await context.newPage();
    await page.goto(pathToFileURL(path.join(dir, 'out', 'report.html')).href);

    for (const chart of ['confusion', 'tags', 'latency', 'baseline-diff']) {
      const svgs = page.locator(`svg[data-chart="${chart}"]`);
      expect(await svgs.count(), chart).toBeGreaterThan(0);
      const box = await svgs.first().boundingBox();
      expect(box?.width, chart).toBeGreaterThan(50);
      expect(box?.height, chart).toBeGreaterThan(50);
    }

    const cell = report.results[0];
    if (!cell) throw new Error('no cell in the report');
    const cells = page.locator(`svg[data-chart="confusion"][data-cell="${cell.id}"] g.cm-cell`);
    expect(await cells.count()).toBe(9);
    for (let l = 0; l < 3; l++) {
      for (let p = 0; p < 3; p++) {
        const g = page.locator(`svg[data-chart="confusion"] g.cm-cell[data-label="${cell.confusion.labels[l]}"][data-pred="${cell.confusion.labels[p]}"]`);
        expect((await g.locator('text').textContent())?.trim()).toBe(String(cell.confusion.matrix[l]?.[p]));
        const rect = await g.locator('rect').boundingBox();
        expect(rect?.width).toBeGreaterThan(10);
      }
    }

    // Per-tag bars: one row per tag (up to 30), and at least one visible bar.
    const bars = page.locator('svg[data-chart="tags"] rect.bar');
    expect(await bars.count()).toBe(3 * Math.min(30, Object.keys(cell.by_tag).length));
    const widths = await bars.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
    expect(Math.max(...widths)).toBeGreaterThan(20);

    const latencyBars = await page.locator('svg[data-chart="latency"] rect.bar').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))));
    expect(latencyBars.reduce((a, b) => a + b, 0)).toBe(16);

    // The before/after chart: accuracy improved against the (worse) baseline, so its bar is green and to the right.
    const acc = page.locator('svg[data-chart="baseline-diff"] rect[data-metric="accuracy"]');
    expect(Number(await acc.getAttribute('data-delta'))).toBeGreaterThan(0);
    expect(await acc.getAttribute('fill')).toBe('#2e7d4f');

    expect(external).toEqual([]);
    await page.close();
  }, 60_000);
});
