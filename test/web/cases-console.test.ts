/// <reference lib="dom" />
// The console's Cases view in headless Chromium against a real server with the demo's month of
// history: summary tiles, the case list, resolving a case, and the best agents' phrases.
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import t from 'tap';
import type { Page } from 'playwright-core';
import { backfillDemo, careRoutes, createCare, type CareStage } from '../../src/care/index.js';
import { validateConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { CHROMIUM, launch } from './helpers/browser.js';
import { PASSWORD, startServer } from './helpers/server.js';

const SHOT = '/tmp/earshot-cases.png';

t.test('cases view: tiles, list, resolve, coaching phrases', { skip: !existsSync(CHROMIUM) && 'chromium not installed' }, async (t) => {
  let care: CareStage | undefined;
  const config = validateConfig({});
  const metrics = createMetrics({ defaults: false });
  const s = await startServer(t, {
    extend: (app, store, bus) => {
      care = createCare({ config, log: pino({ level: 'silent' }), bus, store, metrics: metrics, checkMs: 0 });
      void app.register(careRoutes({ store, cases: care.cases, metrics: metrics, answerWindowDays: 7 }), { prefix: '/api/v1' });
    },
  });
  t.teardown(() => care?.close());
  const r = backfillDemo({ store: s.store, config, log: pino({ level: 'silent' }), metrics: s.metrics }, { days: 30, callsPerDay: 20 });
  t.ok(r.cases > 0);

  const browser = await launch(t);
  const page: Page = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1400, height: 1000 } })).newPage();
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(s.base);
  await page.fill('#login-username', 'supervisor');
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#topbar:not([hidden])');
  await page.click('#nav-cases');
  await page.waitForSelector('[data-testid="case-row"]');
  await page.waitForSelector('[data-testid="tile-nps-cased"]');
  await page.waitForSelector('[data-testid="coach-phrase"]');
  const open = Number(await page.locator('[data-testid="tile-open"] .care-tile-value').textContent());
  const rows = await page.locator('[data-testid="case-row"]').count();
  t.ok(open > 0 && rows === open, `open tile ${open} = rows listed ${rows}`);
  t.match(await page.locator('[data-testid="tile-response-rate"]').textContent(), /\d+%/);
  const phrases = await page.locator('[data-testid="coach-phrase"]').allTextContents();
  t.ok(phrases.some((p) => /understand your frustration|brief hold|anything else|非常抱歉/u.test(p)), `the best agents' phrases shown: ${phrases.slice(0, 3).join(' | ')}`);
  await page.screenshot({ path: SHOT, fullPage: true });

  // Resolve the first case with an outcome: it leaves the open list, and the database has it.
  const first = page.locator('[data-testid="case-row"]').first();
  const id = Number(await first.getAttribute('data-case-id'));
  await first.locator('[data-testid="case-outcome"]').fill('retained');
  await first.locator('[data-testid="case-resolve"]').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="case-row"]').length === n - 1, rows);
  t.match(s.store.repos.cases.get(id), { state: 'resolved', outcome: 'retained' });

  // Channel filter, over cases in every state: the rows are the cases whose evidence has a
  // conversation of that channel (the demo's customers call and chat), so pick a channel that lists
  // some but not all of them.
  // The back-filled month is calls only: add a chat whose customer has a case.
  s.store.upsertCall({ callId: 'chat-1', ingest: 'conversation', externalId: 'x-chat-1', startedAt: Date.now() - 3_600_000, channel: 'chat' });
  s.store.flush();
  s.store.repos.cases.insert({ customerHash: 'h-chat', origin: 'supervisor', reason: 'detractor', openedBy: 'supervisor', openedAt: Date.now(), dueAt: Date.now() + 3_600_000, evidence: { calls: [{ callId: 'chat-1' }] } });
  await page.selectOption('#case-filter-state', '');
  const listed = (channel?: string) => s.store.repos.cases.list({ channel, now: Date.now(), limit: 200 }).length;
  const all = listed();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="case-row"]').length === n, all);
  const channel = ['voice', 'chat', 'wechat', 'sms'].find((c) => listed(c) > 0 && listed(c) < all);
  t.ok(channel, `a channel with some of the ${all} cases (${['voice', 'chat', 'wechat', 'sms'].map((c) => `${c} ${listed(c)}`).join(', ')})`);
  if (channel) {
    const want = listed(channel);
    await page.selectOption('#case-filter-channel', channel);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="case-row"]').length === n, want);
    t.pass(`${channel}: ${want} of ${all} cases listed`);
    await page.selectOption('#case-filter-channel', '');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="case-row"]').length === n, all);
  }
  await page.selectOption('#case-filter-state', 'open');

  // Overdue only: every row shown is overdue.
  await page.check('#case-filter-overdue');
  await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-testid="case-row"]')).every((r) => r.classList.contains('overdue')));
  t.same(errors, [], 'no page errors');
});
