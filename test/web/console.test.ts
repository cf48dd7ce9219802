/// <reference lib="dom" />
// Browser end-to-end: the real console in headless Chromium (Debian `chromium`) against a real
// server; live activity is injected on the bus as the pipeline stages would emit it.
import { existsSync, mkdirSync } from 'node:fs';
import t from 'tap';
import { createRepos } from '../../src/store/index.js';
import { validateConfig } from '../../src/config/index.js';
import { type Page } from 'playwright-core';
import type { Utterance } from '../../src/call/types.js';
import { PASSWORD, startServer } from './helpers/server.js';
import { CHROMIUM, launch } from './helpers/browser.js';
import { dbOf } from '../helpers/db.js';

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

const utt = (callId: string, legId: string, role: 'customer' | 'agent', seq: number, text: string, emotion: Utterance['emotion'], sentiment: number, categories: string[] = []): Utterance => ({
  callId, legId, role, seq, text, lang: 'en', startMs: seq * 4000, endMs: seq * 4000 + 3000,
  sentiment, emotion, emotionConfidence: 0.8, categories, redactions: 0,
});

async function until(pred: () => boolean, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

t.test('supervisor console end to end', { skip: !existsSync(CHROMIUM) && 'chromium not installed' }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const s = await startServer(t);
  const browser = await launch(t);
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1600, height: 900 } });
  const page: Page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // 401s are expected (the session probe before login, the wrong password); anything else is a bug.
  page.on('console', (m) => m.type() === 'error' && !/status of 401/.test(m.text()) && errors.push(m.text()));

  // Earlier calls of the day, a resolved alarm and a few surveys, for the dashboard.
  for (let i = 0; i < 14; i++) {
    const start = Date.now() - (i * 1.6 + 1) * 3600_000;
    const c = s.calls.open({ ingest: i % 3 ? 'siprec' : 'import', externalId: `hist${i}`, agentId: `agent-0${(i % 4) + 1}`, queue: 'support', startedAt: start });
    const l = s.calls.addLeg(c.info.callId, { role: 'customer', label: 'caller' });
    const [emotion, sentiment] = ([['satisfied', 0.6], ['neutral', 0], ['angry', -0.8], ['frustrated', -0.4], ['satisfied', 0.3]] as const)[i % 5];
    s.bus.emit('utterance', utt(c.info.callId, l.legId, 'customer', 1, 'thanks', emotion, sentiment));
    if (i === 3) {
      const a = s.alarms.raise({ callId: c.info.callId, rule: 'long-silence', severity: 'warning', message: 'Silence over 30 s' });
      s.alarms.resolve(a.id, 'admin', 'ok');
    }
    s.calls.close(c.info.callId, 'ended', start + 150_000 + i * 20_000);
  }
  const survey = dbOf(s.store).prepare("INSERT INTO surveys (kind, score, received_at) VALUES ('nps', ?, ?)");
  for (const score of [10, 9, 9, 8, 7, 6, 3, 10]) survey.run(score, Date.now() - 3600_000);
  s.store.flush();

  // Background calls so the wallboard looks like a working floor.
  const emotions: [Utterance['emotion'], number][] = [['satisfied', 0.6], ['neutral', 0.1], ['frustrated', -0.4], ['neutral', 0]];
  for (let i = 0; i < 4; i++) {
    const c = s.calls.open({ ingest: 'siprec', externalId: `bg${i}`, agentId: `agent-0${i + 1}`, queue: i % 2 ? 'sales' : 'support', startedAt: Date.now() - (i + 1) * 97_000 });
    const cl = s.calls.addLeg(c.info.callId, { role: 'customer', label: 'caller' });
    const al = s.calls.addLeg(c.info.callId, { role: 'agent', label: 'agent' });
    s.bus.emit('utterance', utt(c.info.callId, cl.legId, 'customer', 1, 'hello', emotions[i][0], emotions[i][1]));
    s.bus.emit('utterance', utt(c.info.callId, al.legId, 'agent', 2, 'hi', 'satisfied', 0.5));
  }

  await page.goto(s.base);
  await page.fill('#login-username', 'supervisor');
  await page.fill('#login-password', 'wrong password');
  await page.click('#login-submit');
  await page.waitForSelector('#login-error:has-text("Wrong username or password")');
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#topbar:not([hidden])');
  await page.waitForSelector('#live-status[data-state="connected"]');
  t.equal(await page.locator('[data-testid="call-tile"]').count(), 4, 'snapshot shows calls already active');

  // A new call appears live.
  const call = s.calls.open({ ingest: 'siprec', externalId: 'main', agentId: 'agent-42', queue: 'billing', startedAt: Date.now() - 65_000 });
  const cust = s.calls.addLeg(call.info.callId, { role: 'customer', label: 'caller' });
  const agent = s.calls.addLeg(call.info.callId, { role: 'agent', label: 'agent' });
  const id = call.info.callId;
  const tileSel = `[data-testid="call-tile"][data-call-id="${id}"]`;
  await page.waitForSelector(tileSel);
  t.match(await page.textContent(tileSel), /agent-42/);

  // Open its live transcript; wait until the server has the watch (it audits it).
  await page.click(tileSel);
  await page.waitForSelector('#transcript-panel');
  const liveViews = () => dbOf(s.store).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'view.call' AND target = ? AND detail = 'live'").pluck().get(id) as number;
  await until(() => liveViews() === 1, 'the watch to reach the server');

  s.bus.emit('partial', { callId: id, legId: cust.legId, role: 'customer', seq: 1, text: 'I want to can', startMs: 4000, endMs: 5000 });
  await page.waitForSelector('[data-testid="partial"]:has-text("I want to can")');
  s.bus.emit('utterance', utt(id, cust.legId, 'customer', 1, 'I want to cancel my account, this is the third time I call', 'angry', -0.7, ['cancel-intent', 'repeat-call']));
  await page.waitForSelector('[data-testid="utterance"]:has-text("cancel my account")');
  t.equal(await page.locator('[data-testid="partial"]').count(), 0, 'the final replaces the partial');
  s.bus.emit('utterance', utt(id, agent.legId, 'agent', 2, 'I am sorry to hear that, let me look at your account', 'neutral', 0.1));
  s.bus.emit('utterance', utt(id, cust.legId, 'customer', 3, 'I want to speak to your supervisor', 'frustrated', -0.5, ['escalation']));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="utterance"]').length === 3);
  t.pass('transcript grows with both parties');
  await page.waitForSelector(`${tileSel} [data-testid="emotion-customer"][data-emotion="frustrated"]`);

  const alarm = s.alarms.raise({ callId: id, rule: 'escalation', severity: 'critical', message: 'Customer asks for a supervisor (angry)', agentId: 'agent-42' } as never);
  await page.waitForSelector(`${tileSel} [data-testid="alarm-badge"]`);
  await page.waitForSelector('#critical-banner:not([hidden])');
  t.equal(await page.textContent('#alarm-count'), '1');
  await page.screenshot({ path: new URL('wallboard.png', ARTIFACTS).pathname });
  // Category badges: newest first, and a badge is shown whole or not at all (never clipped).
  const badges = await page.$eval(`${tileSel} .badges`, (row) => {
    const r = row.getBoundingClientRect();
    return Array.from(row.querySelectorAll('.badge')).map((b) => {
      const x = b.getBoundingClientRect();
      return { text: b.textContent, shown: x.top < r.bottom, whole: x.left >= r.left - 0.5 && x.right <= r.right + 0.5 };
    });
  });
  t.equal(badges[0]?.text, 'escalation', 'the newest category comes first');
  t.ok(badges.length >= 3 && badges.filter((b) => b.shown).every((b) => b.whole), 'no badge shown half');

  // Acknowledge it in the inbox.
  await page.click('#nav-alarms');
  const row = `[data-testid="alarm-row"][data-alarm-id="${alarm.id}"]`;
  await page.waitForSelector(row);
  await page.fill(`${row} [data-testid="alarm-comment"]`, 'calling the customer back');
  await page.click(`${row} [data-testid="alarm-ack"]`);
  await page.waitForSelector('[data-testid="alarm-row"] >> nth=0').catch(() => {});
  await page.selectOption('#filter-state', 'acked');
  await page.waitForSelector(`${row}[data-state="acked"]`);
  const stored = dbOf(s.store).prepare('SELECT state, acked_by, ack_comment FROM alarms WHERE id = ?').get(alarm.id);
  t.same(stored, { state: 'acked', acked_by: 'supervisor', ack_comment: 'calling the customer back' });
  await page.waitForFunction(() => document.querySelector('#alarm-count')?.textContent === '0');

  // Call detail with a transcript, emotion chart and network table.
  s.store.setLegStats(cust.legId, { packets: 3250, lost: 12, jitterMs: 8.4, mos: 4.1, levelDb: -21.5 });
  s.store.setLegStats(agent.legId, { packets: 3248, lost: 0, jitterMs: 2.1, mos: 4.4, levelDb: -18 });
  s.bus.emit('call.event', { callId: id, legId: cust.legId, kind: 'category', tMs: 7000, data: { category: 'cancel-intent' } });
  s.store.flush();
  const viewsBefore = dbOf(s.store).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'view.call' AND target = ?").pluck().get(id) as number;
  await page.click(`${row} [data-testid="alarm-call-link"]`);
  await page.waitForSelector('[data-testid="detail-transcript"] li >> nth=2');
  await page.waitForSelector('[data-testid="detail-network"] td:has-text("4.10")');
  await page.waitForFunction(() => {
    const c = document.querySelector('#emotion-chart') as HTMLCanvasElement | null;
    return !!c && c.width > 0 && (window as unknown as { Chart?: { getChart(c: unknown): unknown } }).Chart?.getChart(c);
  });
  t.match(await page.textContent('[data-testid="detail-categories"]'), /cancel-intent/);
  const viewsAfter = dbOf(s.store).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'view.call' AND target = ?").pluck().get(id) as number;
  t.equal(viewsAfter, viewsBefore + 1, 'opening the call detail adds an audit row');
  await page.screenshot({ path: new URL('call-detail.png', ARTIFACTS).pathname, fullPage: true });

  // Dashboard.
  await page.click('#nav-dashboard');
  await page.waitForSelector('[data-testid="kpi-calls"]');
  await page.waitForFunction(() => !!(window as unknown as { Chart?: { getChart(id: string): unknown } }).Chart?.getChart('chart-emotions'));
  t.match(await page.textContent('[data-testid="kpi-calls"]'), /19/, '5 active + 14 earlier calls');
  t.match(await page.textContent('[data-testid="kpi-nps"]'), /25 \(n=8\)/, 'NPS = 50% promoters − 25% detractors');
  await page.screenshot({ path: new URL('dashboard.png', ARTIFACTS).pathname });

  // Language switch: the shell and the view follow.
  t.equal((await page.textContent('#nav-alarms [data-i18n]'))?.trim(), 'Alarms');
  await page.selectOption('#lang', 'zh');
  await page.waitForSelector('#nav-alarms [data-i18n]:has-text("告警")');
  await page.waitForSelector('h1:has-text("最近 24 小时")');
  await page.click('#nav-wallboard');
  await page.waitForSelector(tileSel);
  await page.screenshot({ path: new URL('wallboard-zh.png', ARTIFACTS).pathname });
  await page.selectOption('#lang', 'en');

  // Log out: back to the login form, and the old session no longer works.
  const cookie = (await context.cookies()).find((c) => c.name === 'earshot_sid');
  t.equal(cookie?.httpOnly, true);
  t.equal(cookie?.sameSite, 'Strict');
  await page.click('#logout');
  await page.waitForSelector('#login-form');
  const me = await s.app.inject({ url: '/api/v1/auth/me', headers: { cookie: `earshot_sid=${cookie!.value}` } });
  t.equal(me.statusCode, 401, 'session revoked on logout');
  t.same(errors, [], 'no errors in the browser console');
});

t.test('the console follows navigator.language (zh); a viewer gets no alarm actions', { skip: !existsSync(CHROMIUM) && 'chromium not installed' }, async (t) => {
  const s = await startServer(t);
  const browser = await launch(t);
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(s.base);
  await page.waitForSelector('#login-submit:has-text("登录")');
  t.equal(await page.getAttribute('html', 'lang'), 'zh-CN');

  const call = s.calls.open({ ingest: 'siprec', externalId: 'v', agentId: 'a7' });
  const alarm = s.alarms.raise({ callId: call.info.callId, rule: 'anger', severity: 'warning', message: '客户情绪激动' });
  await page.fill('#login-username', 'viewer');
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#nav-wallboard:has-text("监控墙")');
  await page.click('#nav-alarms');
  const row = `[data-testid="alarm-row"][data-alarm-id="${alarm.id}"]`;
  await page.waitForSelector(`${row} [data-testid="alarm-state"]:has-text("未处理")`);
  t.equal(await page.locator(`${row} [data-testid="alarm-ack"]`).count(), 0, 'no acknowledge button for a viewer');
  t.equal(await page.locator(`${row} [data-testid="alarm-resolve"]`).count(), 0, 'no resolve button for a viewer');
});

t.test('dashboards, an insight report and the rules editor in the browser', { skip: !existsSync(CHROMIUM) && 'chromium not installed' }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const { surveyRoutes } = await import('../../src/kpi/index.js');
  const { ruleRoutes } = await import('../../src/web/routes/rules.js');
  const { pino } = await import('pino');
  const { default: Database } = await import('better-sqlite3');
  const { join } = await import('node:path');
  // startServer hands the store over after plugins load; the routes read it per request.
  const late: { s?: Awaited<ReturnType<typeof startServer>> } = {};
  const store = { get repos() { return late.s!.store.repos; }, audit: (...a: [string, string, string?, string?]) => late.s!.store.audit(...a) };
  const metrics = { get registry() { return late.s!.metrics.registry; }, badInput: (p: string, r: string) => late.s!.metrics.badInput(p, r) };
  const dir = t.testdir();
  const s = await startServer(t, {
    dir,
    extend: (app) => {
      // The KPI routes take the database at once: give them their own connection to the same file.
      const db = new Database(join(dir, 'earshot.db'), { timeout: 5000 });
      t.teardown(() => db.close());
      void app.register(surveyRoutes({ store: { repos: createRepos(db) }, metrics, config: validateConfig({ kpi: { minCallSeconds: 10, repeatWindowDays: 7 } }) }), { prefix: '/api/v1' });
      void app.register(ruleRoutes({ config: validateConfig({ analysis: { rulesDir: 'config/rules', serModel: '' }, alarms: { rulesDir: 'config/alarms' } }), store, metrics, log: pino({ level: 'silent' }), onRulesChanged: () => undefined }), { prefix: '/api/v1' });
    },
  });
  late.s = s;

  // Ten days of calls: categories, emotions, QA scores, alarms, NPS answers, repeat customers.
  const DAY = 86_400_000;
  const today = Math.floor(Date.now() / DAY) * DAY;
  const cats = ['billing-dispute', 'complaint', 'cancel-intent', 'churn-intent', 'praise', 'escalation-request'];
  const emos: Utterance['emotion'][] = ['angry', 'frustrated', 'neutral', 'satisfied'];
  const survey = dbOf(s.store).prepare("INSERT INTO surveys (call_id, customer_hash, kind, score, received_at) VALUES (?, ?, 'nps', ?, ?)");
  let n = 0;
  for (let d = 10; d >= 0; d--) {
    for (let k = 0; k < 6; k++, n++) {
      const callId = `seed-${n}`;
      const at = today - d * DAY + (8 + k * 1.7) * 3600_000;
      if (at > Date.now()) continue;
      const agent = `agent-0${(n % 4) + 1}`;
      const hash = `cust${String(n % 9).padStart(4, '0')}ab12cd34`;
      s.store.upsertCall({ callId, ingest: 'siprec', externalId: callId, startedAt: at, agentId: agent, queue: k % 2 ? 'sales' : 'support', customerHash: hash });
      s.store.addLeg({ legId: `${callId}-c`, callId, role: 'customer', label: 'caller' });
      const bad = (n * 7) % 5 < 2;
      for (let u = 0; u < 4; u++) {
        const emotion = bad ? emos[(u + n) % 2] : emos[2 + ((u + n) % 2)];
        s.store.addUtterance({ callId, legId: `${callId}-c`, role: 'customer', seq: u, text: 'redacted text', lang: 'en', startMs: u * 9000, endMs: u * 9000 + 4000, sentiment: bad ? -0.6 : 0.4, emotion, emotionConfidence: 0.8, categories: [], redactions: 0 });
      }
      for (const c of [cats[n % cats.length], ...(bad ? [cats[(n + 1) % 4]] : [])]) s.store.addCallEvent({ callId, legId: `${callId}-c`, kind: 'category', tMs: 5000, data: { rule: c } });
      if (bad && n % 2) s.store.insertAlarm({ callId, rule: ['negative-streak', 'escalation', 'long-silence'][n % 3], severity: n % 3 === 1 ? 'critical' : 'warning', state: 'open', message: 'seeded', raisedAt: at + 60_000, agentId: agent });
      const qa = agent === 'agent-03' ? 48 + (n % 20) : 72 + (n % 25);
      s.store.endCall(callId, 'ended', at + 240_000 + k * 30_000, { kpi: { short: false, sentiment: { negativeEnd: bad } }, qa: [{ scorecard: 'default', score: qa, items: [{ id: 'apology', label: 'Agent apologised', weight: 1, passed: qa >= 70 }] }] });
      s.store.flush();
      if (n % 2 === 0) survey.run(callId, hash, bad ? n % 7 : 7 + (n % 4), at + 3600_000);
    }
  }
  s.store.flush();

  const browser = await launch(t);
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && !/status of (401|422)/.test(m.text()) && errors.push(m.text()));
  await page.goto(s.base);
  await page.fill('#login-username', 'admin');
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#topbar:not([hidden])');

  // Dashboard: the old panels and the new ones.
  await page.click('#nav-dashboard');
  await page.waitForSelector('[data-testid="kpi-calls"]');
  const charts = ['chart-emotions', 'chart-nps-dist', 'chart-nps-trend', 'chart-emotion-map', 'chart-alarm-rules', 'chart-qa-agents'];
  await page.waitForFunction((ids) => ids.every((id) => !!(window as unknown as { Chart?: { getChart(id: string): unknown } }).Chart?.getChart(id)), charts);
  await page.waitForSelector('[data-testid="category-heat"] td:has-text("1")');
  await page.waitForSelector('[data-testid="high-risk"] tr >> nth=1');
  t.equal(await page.getAttribute('[data-testid="high-risk-csv"]', 'href'), '/api/v1/customers/high-risk?format=csv');
  await page.click('[data-testid="high-risk"] tr >> nth=1 >> a');
  await page.waitForSelector('#root-cause h2');
  t.ok(await page.locator('[data-testid="nps-drivers"] tr').count() > 1, 'detractor drivers listed');
  await page.evaluate(() => window.scrollTo(0, 0)); // the sticky top bar would sit mid-page in a full-page shot
  await page.screenshot({ path: new URL('dashboard-full.png', ARTIFACTS).pathname, fullPage: true });

  // Reports: generate yesterday's from the console, open it.
  await page.click('#nav-reports');
  await page.selectOption('#report-period', 'day');
  await page.fill('#report-start', new Date(today - DAY).toISOString().slice(0, 10));
  await page.click('#report-generate');
  await page.waitForSelector('[data-testid="report-row"]');
  const href = await page.getAttribute('[data-testid="report-open"]', 'href');
  t.match(href, /^\/api\/v1\/reports\/\d+\.html$/);
  await page.screenshot({ path: new URL('reports-list.png', ARTIFACTS).pathname });
  const report = await context.newPage();
  report.on('pageerror', (e) => errors.push(String(e)));
  await report.goto(`${s.base}${href}`);
  await report.waitForSelector('table[data-section="coach"] a[data-call-id]');
  t.match(await report.textContent('h1'), /Daily insight report/);
  await report.screenshot({ path: new URL('report.png', ARTIFACTS).pathname, fullPage: true });
  await report.close();

  // Rules: an invalid edit is refused with its position; a dry run lists hits.
  await page.click('#nav-rules');
  await page.click('[data-testid="rule-pack"][data-pack="complaint"]');
  await page.waitForSelector('#rule-yaml');
  const yaml = await page.inputValue('#rule-yaml');
  await page.fill('#rule-yaml', yaml.replace('speaker: customer', 'speaker: boss'));
  await page.click('#rule-save');
  const speakerLine = yaml.split('\n').findIndex((l) => l.includes('speaker: customer')) + 1;
  await page.waitForSelector(`[data-testid="rule-errors"] li:has-text("db:rule/complaint:${speakerLine}:14")`);
  t.equal(dbOf(s.store).prepare('SELECT COUNT(*) FROM rules').pluck().get(), 0, 'nothing saved');
  await page.fill('#rule-yaml', `${yaml.trimEnd()}\n  - id: text-probe\n    speaker: customer\n    when: { phrases: [redacted text] }\n`);
  await page.click('#rule-dry-run');
  await page.waitForSelector('[data-testid="dry-run-rules"] td:has-text("text-probe")');
  await page.waitForSelector('[data-testid="dry-run-hits"] li');
  await page.screenshot({ path: new URL('rules.png', ARTIFACTS).pathname, fullPage: true });

  // Site terms: a competitor added in the console, its effect dry-run over stored calls, then saved.
  await page.click('[data-testid="site-terms-link"]');
  await page.waitForSelector('[data-testid="site-terms-list"][data-list="competitors"]');
  t.match(await page.textContent('[data-testid="site-terms"]'), /Built in: .*barclays.* …/);
  // A refused term shows the server's reason from the API's error body, and saves nothing.
  await page.fill('#terms-competitors', '$products');
  await page.click('#terms-save');
  await page.waitForSelector('[data-testid="rule-error"]:has-text("a term is a plain phrase")');
  await page.fill('#terms-competitors', 'redacted\nzorbix');
  await page.click('#terms-dry-run');
  await page.waitForSelector('[data-testid="terms-dry-run"] tr[data-rule="competitor-mention"]');
  const cells = await page.$$eval('[data-testid="terms-dry-run"] tr[data-rule="competitor-mention"] td', (tds) => tds.map((x) => x.textContent));
  t.equal(cells[0], 'Competitor mentioned', 'the rule by its name');
  t.equal(cells[1], '0', 'no competitor hit before');
  t.ok(Number(cells[2]) > 0 && cells[3] === `+${cells[2]}`, 'every stored "redacted text" utterance newly hit');
  await page.waitForSelector('[data-testid="terms-gained"] li');
  t.equal(dbOf(s.store).prepare("SELECT COUNT(*) FROM rules WHERE id = 'site-terms'").pluck().get(), 0, 'a dry run saves nothing');
  await page.click('#terms-save');
  await page.waitForSelector('[data-testid="rule-saved"]');
  t.match(dbOf(s.store).prepare("SELECT body FROM rules WHERE id = 'site-terms'").pluck().get(), /competitors:\n\s+- redacted\n\s+- zorbix/);

  // zh: categories carry their packs' Chinese names (config/rules/*.yaml `name: {en, zh}`), not ids.
  await page.selectOption('#lang', 'zh');
  await page.click('#nav-dashboard');
  await page.waitForSelector('[data-testid="category-heat"] th:has-text("流失意向")');
  const rowNames = await page.$$eval('[data-testid="category-heat"] tr th:first-child', (ths) => ths.map((x) => x.textContent).filter(Boolean));
  t.ok(rowNames.includes('客户投诉') && rowNames.includes('要求升级'), 'complaint and escalation-request in Chinese');
  t.notOk(rowNames.some((x) => /churn-intent|escalation-request/.test(x ?? '')), 'no rule id shown where a zh name exists');
  t.ok(rowNames.includes('billing-dispute'), 'an id with no rule behind it is shown as it is');
  await page.selectOption('#lang', 'en');
  await page.waitForSelector('[data-testid="category-heat"] th:has-text("Churn intent")');
  t.same(errors, [], 'no errors in the browser console');
});
