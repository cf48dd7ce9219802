/// <reference lib="dom" />
// Browser: an admin edits an alarm threshold in the console's rules editor (a bad value first,
// refused with rule and key named) and saves it; the real alarm stage on the server runs the new
// set. A supervisor with a Chinese browser sees the file read-only and problems in Chinese.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { pino } from 'pino';
import { createAlarms, type AlarmStage } from '../../src/alarms/index.js';
import { validateConfig } from '../../src/config/index.js';
import type { Metrics } from '../../src/metrics/registry.js';
import type { Store } from '../../src/store/types.js';
import { ruleRoutes } from '../../src/web/routes/rules.js';
import { PASSWORD, startServer } from './helpers/server.js';
import { CHROMIUM, launch } from './helpers/browser.js';
import { dbOf } from '../helpers/db.js';

const RULES = fileURLToPath(new URL('../../config/rules/', import.meta.url));
const ALARMS = fileURLToPath(new URL('../../config/alarms/', import.meta.url));
const SHIPPED = readFileSync(`${ALARMS}default.yaml`, 'utf8');

t.test('an admin edits an alarm threshold in the console; a supervisor reads it', { skip: !existsSync(CHROMIUM) && 'chromium not installed' }, async (t) => {
  const late: { store?: Store; metrics?: Metrics; alarms?: AlarmStage } = {};
  const store = { get repos() { return late.store!.repos; }, audit: (...a: Parameters<Store['audit']>) => late.store!.audit(...a) };
  const metrics: Metrics = { get registry() { return late.metrics!.registry; }, badInput: (p, r) => late.metrics!.badInput(p, r) };
  const config = validateConfig({ analysis: { rulesDir: RULES, serModel: '' }, alarms: { rulesDir: ALARMS } });
  const s = await startServer(t, {
    extend: (app) =>
      void app.register(ruleRoutes({ config, store, metrics, log: pino({ level: 'silent' }), onRulesChanged: () => undefined, onAlarmRulesChanged: (r) => late.alarms!.reloadRules(r) }), { prefix: '/api/v1' }),
  });
  late.store = s.store;
  late.metrics = s.metrics;
  const alarms = await createAlarms({ config: validateConfig({}), log: pino({ level: 'silent' }), bus: s.bus, store: s.store, metrics: s.metrics, rulesPath: ALARMS, tickMs: 0, deliveryMs: 0 });
  late.alarms = alarms;
  t.teardown(() => alarms.close());
  const silence = () => (alarms.rules().find((r) => r.id === 'long-silence') as { seconds: number } | undefined)?.seconds;
  t.equal(silence(), 30, 'shipped threshold');

  const browser = await launch(t);
  const errors: string[] = [];
  const open = async (locale: string, user: string) => {
    const context = await browser.newContext({ locale, viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && !/status of (401|422)/.test(m.text()) && errors.push(m.text()));
    await page.goto(`${s.base}/#/rules`);
    await page.fill('#login-username', user);
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-submit');
    await page.click('[data-testid="alarm-file"][data-file="default"]');
    await page.waitForSelector('[data-testid="rule-editor"][data-kind="alarm"] #rule-yaml');
    return page;
  };

  const admin = await open('en-US', 'admin');
  t.equal(await admin.inputValue('#rule-yaml'), SHIPPED);
  await admin.waitForSelector('[data-testid="alarm-rules-table"] tr[data-rule="long-silence"]');
  await admin.fill('#rule-yaml', SHIPPED.replace('seconds: 30', 'seconds: 0'));
  await admin.click('#rule-save');
  const refused = await admin.textContent('[data-testid="rule-error"]');
  t.match(refused, /line \d+ · rule long-silence · key seconds: seconds = 0: must be number >= 1/);
  t.equal(silence(), 30, 'nothing applied');
  await admin.fill('#rule-yaml', SHIPPED.replace('seconds: 30', 'seconds: 20'));
  await admin.click('#rule-save');
  await admin.waitForSelector('[data-testid="rule-saved"]:has-text("Saved as version 1; alarm rules reloaded.")');
  t.equal(silence(), 20, 'the running alarm stage uses the new threshold');
  t.equal(dbOf(s.store).prepare("SELECT actor FROM audit_log WHERE action = 'alarm-rule.update'").pluck().get(), 'admin');
  await admin.waitForSelector('[data-testid="alarm-file"][data-file="default"]:has-text("v1")');
  await admin.waitForSelector('[data-testid="alarm-rules-table"] tr[data-rule="long-silence"] td:has-text("> 20 s")');

  // The same refusal in Chinese once the admin switches language.
  await admin.selectOption('#lang', 'zh');
  await admin.click('[data-testid="alarm-file"][data-file="default"]');
  await admin.waitForSelector('[data-testid="rule-editor"][data-kind="alarm"] #rule-yaml');
  await admin.fill('#rule-yaml', SHIPPED.replace('seconds: 30', 'second: 30'));
  await admin.click('#rule-save');
  t.match(await admin.textContent('[data-testid="rule-error"]'), /第 \d+ 行 · 规则 long-silence · 键 second: 未知的键 "second"/);

  const sup = await open('zh-CN', 'supervisor');
  t.equal(await sup.inputValue('#rule-yaml'), SHIPPED.replace('seconds: 30', 'seconds: 20'), 'the saved version');
  t.equal(await sup.getAttribute('#rule-yaml', 'readonly'), '', 'read-only for a supervisor');
  t.equal(await sup.locator('#rule-save').count(), 0, 'no save button');
  t.match(await sup.textContent('[data-testid="alarm-rules-table"] tr'), /冷却时间/);
  await sup.click('#rule-dry-run');
  await sup.waitForSelector('[data-testid="dry-run-rules"] td:has-text("long-silence")');
  t.same(errors, [], 'no errors in the browser console');
});
