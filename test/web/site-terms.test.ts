// Site terms through the rules API over the shipped packs and a real SQLite store: the lists a
// site adds to the built-in concepts, a dry run of what they would newly match in stored calls
// (nothing saved), precise refusals, then a versioned, audited save that the analysis reloads.
import t, { type Test } from 'tap';
import { CallRules, loadRules } from '../../src/analysis/index.js';
import { RULES, startRulesServer } from './helpers/rules-server.js';
import { dbOf } from '../helpers/db.js';

const DAY = 86_400_000;

async function setup(t: Test, reads = false) {
  const { s, reloads, req } = await startRulesServer(t, { reads });
  const call = (id: string, startedAt: number, lines: [role: 'customer' | 'agent', text: string][]) => {
    s.store.upsertCall({ callId: id, ingest: 'siprec', externalId: id, startedAt });
    for (const role of ['customer', 'agent'] as const) s.store.addLeg({ legId: `${id}-${role}`, callId: id, role, label: role });
    return lines.map(([role, text], i) =>
      s.store.addUtterance({ callId: id, legId: `${id}-${role}`, role, seq: i, text, lang: 'en', startMs: i * 4000, endMs: i * 4000 + 3000, sentiment: 0, emotion: 'neutral', emotionConfidence: 0.8, categories: [], redactions: 0 }),
    );
  };
  return { s, reloads, req, call };
}

interface Change {
  before: { hits: number; calls: number };
  after: { hits: number; calls: number };
  gained: { utterances: number; calls: number };
  lost: { utterances: number; calls: number };
}
interface DryRunBody {
  calls: number;
  utterances: number;
  byRule: Record<string, Change>;
  gained: { rule: string; callId: string; utteranceId: number; text: string }[];
}

// Both paths of the dry run: on the loop, and in the read pool's worker (as `serve` runs it).
for (const reads of [false, true]) t.test(`site terms: listed with the built-in entries, dry-run before saving, saved as a versioned pack (${reads ? 'read pool' : 'on the loop'})`, async (t) => {
  const { s, reloads, req, call } = await setup(t, reads);
  const first = (await req('viewer', 'GET', '/rules/site-terms')).json() as { version: number; lists: Record<string, string[]>; builtin: Record<string, string[]> };
  t.same(first.lists, { competitors: [], products: [] }, 'nothing added yet');
  t.equal(first.version, 0);
  t.ok(first.builtin.competitors.includes('contoso') && first.builtin.competitors.includes('中国移动'), 'built-in competitors shown');
  t.same(first.builtin.products, [], 'no built-in products');

  const now = Date.now();
  const [zorbix] = call('c1', now - DAY, [['customer', 'zorbix told me they would give me the router for free'], ['agent', 'let me check that for you']]);
  const [, nimbus] = call('c2', now - 2 * DAY, [['customer', 'hello'], ['customer', 'i want to move to the nimbus unlimited plan']]);
  call('c3', now - 40 * DAY, [['customer', 'zorbix is cheaper']]);
  call('c4', now - 3 * DAY, [['customer', 'contoso offered me a deal']]);
  s.store.flush();

  const lists = { competitors: ['Zorbix', ' zorbix ', '星辰通信'], products: ['nimbus unlimited'] };
  t.equal((await req('viewer', 'POST', '/rules/site-terms/dry-run', { lists, days: 7 })).statusCode, 403, 'a viewer cannot dry-run');
  const dry = await req('supervisor', 'POST', '/rules/site-terms/dry-run', { lists, days: 7 });
  t.equal(dry.statusCode, 200);
  const body = dry.json() as DryRunBody;
  t.equal(body.calls, 3, 'calls of the last 7 days');
  t.match(body.byRule['competitor-mention'], { before: { hits: 1, calls: 1 }, after: { hits: 2, calls: 2 }, gained: { utterances: 1, calls: 1 }, lost: { utterances: 0 } }, 'contoso matched already; zorbix newly');
  t.match(body.byRule['product-mention'], { before: { hits: 0 }, after: { hits: 1 }, gained: { utterances: 1, calls: 1 } });
  t.notOk(body.byRule.complaint, 'rules whose hits do not change are not listed');
  t.same(body.gained.map((g) => [g.rule, g.callId, g.utteranceId]).sort(), [['competitor-mention', 'c1', zorbix], ['product-mention', 'c2', nimbus]].sort());
  t.match(body.gained.find((g) => g.callId === 'c2')?.text, 'nimbus unlimited plan');
  t.equal(dbOf(s.store).prepare('SELECT COUNT(*) FROM rules').pluck().get(), 0, 'a dry run saves nothing');
  t.same(reloads, []);

  // Refusals name the list and entry, change nothing and are counted.
  const unknown = await req('admin', 'PUT', '/rules/site-terms', { lists: { competitorz: ['x'] } });
  t.equal(unknown.statusCode, 422);
  t.match((unknown.json() as { error: { message: string } }).error.message, /site terms: "competitorz" is not a concept of the rule set \(known: .*competitors/);
  const ref = await req('admin', 'PUT', '/rules/site-terms', { lists: { competitors: ['ok', '$products'] } });
  t.equal(ref.statusCode, 422);
  t.match((ref.json() as { error: { message: string } }).error.message, /competitors\[1\]: a term is a plain phrase/);
  t.equal((await req('supervisor', 'PUT', '/rules/site-terms', { lists })).statusCode, 403, 'only an admin saves');
  t.equal(dbOf(s.store).prepare('SELECT COUNT(*) FROM rules').pluck().get(), 0);
  t.match(await s.metrics.registry.getSingleMetricAsString('earshot_bad_input_total'), /parser="rules",reason="invalid"} 2/);

  const saved = await req('admin', 'PUT', '/rules/site-terms', { lists, version: 0 });
  t.equal(saved.statusCode, 200);
  t.match(saved.json(), { version: 1, lists: { competitors: ['Zorbix', 'zorbix', '星辰通信'], products: ['nimbus unlimited'] }, reloaded: true });
  t.equal((await req('admin', 'PUT', '/rules/site-terms', { lists, version: 0 })).statusCode, 409, 'a stale editor is refused');
  t.same(dbOf(s.store).prepare("SELECT actor, target, detail FROM audit_log WHERE action IN ('site-terms.update', 'site-terms.dry-run') ORDER BY id").all(), [
    { actor: 'supervisor', target: 'site-terms', detail: '7d' },
    { actor: 'admin', target: 'site-terms', detail: 'v1' },
  ]);
  const after = (await req('viewer', 'GET', '/rules/site-terms')).json() as { version: number; lists: Record<string, string[]> };
  t.match(after, { version: 1, lists: { competitors: ['Zorbix', 'zorbix', '星辰通信'], products: ['nimbus unlimited'] } });
  const pack = (await req('viewer', 'GET', '/rules/site-terms')).statusCode;
  t.equal(pack, 200);

  // What the analysis stage reloads: the built-in packs plus the stored site terms.
  t.equal(reloads.length, 1);
  const r = await loadRules(RULES, reloads[0]);
  t.ok(r.ok);
  if (!r.ok) return;
  const c = new CallRules(r.set);
  const hit = (text: string) => c.onUtterance({ legId: 'l', role: 'customer', seq: 0, startMs: 60_000, endMs: 62_000, text, emotion: 'neutral', sentiment: 0, redactions: [] }).map((h) => h.rule.id);
  t.ok(hit('我朋友用的是星辰通信的卡').includes('competitor-mention'), 'a site competitor in Chinese');
  t.ok(hit('contoso is cheaper').includes('competitor-mention'), 'built-in competitors still there');
  t.ok(hit('the Nimbus Unlimited bundle').includes('product-mention'));

  // The same lists again change nothing.
  const again = (await req('supervisor', 'POST', '/rules/site-terms/dry-run', { lists, days: 7 })).json() as DryRunBody;
  t.same(again.byRule, {}, 'no rule changes against the saved terms');
});
