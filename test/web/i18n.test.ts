import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const PUBLIC = fileURLToPath(new URL('../../src/web/public/', import.meta.url));

function files(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name), ext) : e.name.endsWith(ext) ? [join(dir, e.name)] : [],
  );
}

t.test('both dictionaries have the same keys and every key the console uses', async (t) => {
  const en = (await import(join(PUBLIC, 'i18n/en.js'))).default as Record<string, string>;
  const zh = (await import(join(PUBLIC, 'i18n/zh.js'))).default as Record<string, string>;
  t.same(Object.keys(zh).sort(), Object.keys(en).sort(), 'zh and en define the same keys');
  for (const [k, v] of Object.entries(zh)) {
    const vars = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    t.same(vars(v), vars(en[k]), `${k}: same placeholders`);
  }

  const used = new Set<string>();
  const prefixes = new Set<string>();
  for (const f of files(join(PUBLIC, 'js'), '.js')) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/\bt\('([a-zA-Z]+\.[a-zA-Z]+)'/g)) used.add(m[1]);
    for (const m of src.matchAll(/['"]([a-z]+\.[a-zA-Z]+)['"]/g)) if (m[1].split('.')[0] in { nav: 1, login: 1, live: 1, wall: 1, transcript: 1, alarms: 1, detail: 1, dash: 1, error: 1, state: 1, severity: 1 }) used.add(m[1]);
    for (const m of src.matchAll(/t\(`([a-zA-Z]+)\.\$\{/g)) prefixes.add(m[1]);
  }
  for (const m of readFileSync(join(PUBLIC, 'index.html'), 'utf8').matchAll(/data-i18n="([^"]+)"/g)) used.add(m[1]);
  t.ok(used.size > 40, `${used.size} keys used`);
  for (const k of used) t.ok(k in en, `key ${k} is defined`);
  // Keys built from data (role.customer, emotion.angry, …): every value the server sends must exist.
  const values: Record<string, string[]> = {
    role: ['customer', 'agent', 'mixed', 'unknown'],
    emotion: ['angry', 'frustrated', 'neutral', 'satisfied'],
    severity: ['info', 'warning', 'critical'],
    state: ['open', 'acked', 'resolved', 'active', 'ended', 'interrupted'],
    userRole: ['viewer', 'supervisor', 'admin'],
    caseState: ['open', 'contacted', 'resolved', 'closed'],
    // Reasons the stage itself gives; alarm-rule reasons fall back to the rule id.
    caseReason: ['detractor', 'negative-calls', 'churn-intent', 'contact-drop', 'competitor'],
    situation: ['after-complaint', 'before-hold', 'closing'],
    // Conversations: the channel enum (src/call/types.ts CHANNELS) and the message parties.
    channel: ['voice', 'chat', 'wechat', 'app', 'email', 'sms'],
    party: ['customer', 'agent', 'bot'],
    // Why a span of a recording is silent (src/recordings/delay-line.ts).
    muted: ['redacted', 'dtmf', 'unanalysed'],
    // The ingest banner: a front and its state from /readyz (ingest.sip, ingest.state.closed, …).
    ingest: ['sip', 'forks', 'audiosocket', 'state.closed', 'state.local-only', 'state.down'],
  };
  for (const p of prefixes) {
    t.ok(values[p], `prefix ${p} has known values`);
    for (const v of values[p] ?? []) t.ok(`${p}.${v}` in en, `${p}.${v} is defined`);
  }
  const han = Object.values(zh).filter((v) => /[\u4e00-\u9fff]/.test(v)).length;
  t.ok(han > Object.keys(zh).length * 0.8, 'the Chinese dictionary is actually Chinese');
});
