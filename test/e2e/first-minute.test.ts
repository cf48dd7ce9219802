/// <reference lib="dom" />
// A newcomer's first minute: the appliance started the way scripts/start.sh starts it (the built CLI,
// `serve --demo`; set-up is not rerun) with its own data directory and ports, then, in headless
// Chromium, the wallboard shows several live calls with agents and queues, and the dashboard's NPS,
// the cases and the reports have data. Waits poll the API and the page, never a fixed sleep; the
// whole test is bounded to 90 s. Screenshots: .tap/screenshots/first-minute-*.png (gitignored).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Page } from 'playwright-core';
import { CHROMIUM, launch } from '../web/helpers/browser.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/src/cli/index.js');
const SHOTS = join(root, '.tap/screenshots');
const BUDGET_MS = 90_000;

t.test("a newcomer's first minute after scripts/start.sh", { timeout: BUDGET_MS, skip: !existsSync(CHROMIUM) && 'chromium not installed' }, async (t) => {
  const started = Date.now();
  const left = () => BUDGET_MS - 5_000 - (Date.now() - started);
  t.ok(existsSync(cli), 'the built CLI exists (scripts/setup.sh builds it)');
  const dir = t.testdir();
  const cfg = join(dir, 'earshot.yaml');
  // Own data directory and ports (HTTP and SIP on free ports): nothing shared with other runs.
  writeFileSync(cfg, `dataDir: ${join(dir, 'data')}\nhttp: { host: 127.0.0.1, port: 0 }\nsip: { port: 0 }\nlog: { level: warn }\n`);
  const child = spawn(process.execPath, [cli, 'serve', '--demo', '--config', cfg], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  t.teardown(async () => {
    // Stopped by its process group id (flite/sox children included): SIGTERM, then SIGKILL.
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // gone
      }
    };
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  });

  const until = async <T>(what: string, f: () => Promise<T | undefined> | T | undefined, everyMs = 500): Promise<T> => {
    for (;;) {
      const v = await f();
      if (v !== undefined) return v;
      if (left() < 0) throw new Error(`timed out waiting for ${what}; stderr: ${stderr.slice(-500)}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };
  const { url, password } = await until('the console URL and the admin password', () => {
    const u = /console at (http:\/\/\S+?)\/?\s/u.exec(stderr)?.[1];
    const p = /created user "admin" with password (\S+)/u.exec(stderr)?.[1];
    return u && p ? { url: u, password: p } : undefined;
  }, 200);
  t.comment(`console up after ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // The API as the console uses it: log in, then poll the live calls.
  const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  t.equal(login.status, 200, 'the printed password logs in');
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  const get = async (path: string) => (await fetch(`${url}/api/v1${path}`, { headers: { cookie } })).json() as Promise<Record<string, any>>;
  type Live = { callId: string; agentId: string | null; queue: string | null; channel?: string };
  const live = await until('three live calls with agents and queues', async () => {
    const calls = ((await get('/calls?active=1')).calls as Live[]).filter((c) => c.agentId && c.queue);
    return calls.length >= 3 ? calls : undefined;
  });
  t.comment(`${live.length} live calls after ${((Date.now() - started) / 1000).toFixed(1)} s: ${live.map((c) => `${c.agentId}/${c.queue}/${c.channel ?? 'voice'}`).join(', ')}`);
  t.ok(new Set(live.map((c) => c.agentId)).size >= 3, 'different agents');
  t.ok(new Set(live.map((c) => c.queue)).size >= 2, 'different queues');

  mkdirSync(SHOTS, { recursive: true });
  const browser = await launch(t);
  const page: Page = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1400, height: 900 } })).newPage();
  page.setDefaultTimeout(Math.max(5_000, Math.min(20_000, left())));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${url}/`);
  await page.fill('#login-username', 'admin');
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#topbar:not([hidden])');

  // Wallboard: at least three tiles, each with an agent and a queue.
  await page.click('#nav-wallboard');
  await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-testid="call-tile"]')).filter((el) => !/—/u.test(el.querySelector('.agent')?.textContent ?? '—') && !/: —/u.test(el.querySelector('.tile-sub')?.textContent ?? ': —')).length >= 3);
  const tiles = await page.locator('[data-testid="call-tile"]').evaluateAll((els) => els.map((el) => `${el.querySelector('.agent')?.textContent} ${el.querySelector('.tile-sub')?.textContent}`));
  t.ok(tiles.length >= 3, `wallboard tiles: ${tiles.join(' | ')}`);
  await page.screenshot({ path: join(SHOTS, 'first-minute-wallboard.png') });

  // Dashboard: NPS from the back-filled month, its trend chart drawn.
  await page.click('#nav-dashboard');
  const nps = await (await page.waitForSelector('[data-testid="kpi-nps"] strong')).textContent();
  t.match(nps, /^-?\d+(\.\d+)? \(n=\d+\)$/u, `NPS shown: ${nps}`);
  await page.waitForSelector('#chart-nps-trend');
  await page.screenshot({ path: join(SHOTS, 'first-minute-dashboard.png'), fullPage: true });

  // Cases: open cases listed, the cased-vs-uncased NPS tile, the best agents' phrases.
  await page.click('#nav-cases');
  await page.waitForSelector('[data-testid="case-row"]');
  await page.waitForSelector('[data-testid="coach-phrase"]');
  const rows = await page.locator('[data-testid="case-row"]').count();
  t.ok(rows > 0, `${rows} cases listed`);
  t.match(await page.locator('[data-testid="tile-response-rate"]').textContent(), /\d+%/u, 'a survey response rate');
  await page.screenshot({ path: join(SHOTS, 'first-minute-cases.png'), fullPage: true });

  // Reports: the day, week and month reports written over the demo history at start.
  await page.click('#nav-reports');
  await page.waitForSelector('[data-testid="report-row"]');
  const periods = await page.locator('[data-testid="report-row"]').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.period));
  t.ok(periods.length >= 1, `reports listed: ${periods.join(', ')}`);
  const list = (await get('/reports?limit=10')).reports as { id: number; summary: { calls: number } }[];
  t.ok(list.some((r) => r.summary.calls > 0), 'a report covers demo calls');
  await page.screenshot({ path: join(SHOTS, 'first-minute-reports.png'), fullPage: true });

  t.same(errors, [], 'no page errors');
  t.ok(Date.now() - started < BUDGET_MS, `done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
