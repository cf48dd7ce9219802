import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Import rules between the top-level folders of src/ (documented in docs/architecture.md):
//  - shared layers (call, config, metrics, store and the root files) import no stage;
//  - the folder graph has no cycle (alarms and kpi in particular never import each other both ways);
//  - alarms does not import kpi: shared domain rules (intervals, a call event's category) live in src/call.
const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const SHARED = new Set(['call', 'config', 'metrics', 'store', '.']);
// Exceptions: none (a stage's heavy reads are its own tasks module, handed to the read pool by main).
const KNOWN = new Set<string>();

// main.ts is the composition root (it imports everything); other root files (errors, log, deps) are shared.
const node = (f: string) => (f.includes('/') ? f.split('/')[0] : /^main\.[jt]s$/u.test(f) ? 'main' : '.');

function edges(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of readdirSync(SRC, { recursive: true, encoding: 'utf8' })) {
    if (!f.endsWith('.ts')) continue;
    const from = node(f);
    for (const m of readFileSync(join(SRC, f), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/gu)) {
      const rel = relative(SRC, resolve(SRC, dirname(f), m[1]));
      const to = node(rel);
      if (to === from) continue;
      const e = `${from}->${to}`;
      out.set(e, [...(out.get(e) ?? []), f]);
    }
  }
  return out;
}

t.test('shared layers import no pipeline stage', async (t) => {
  const bad = [...edges()].filter(([e]) => { const [a, b] = e.split('->'); return !KNOWN.has(e) && SHARED.has(a) && !SHARED.has(b); });
  t.same(bad, []);
});

function cyclesOf(graph: Map<string, string[]>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (n: string, path: string[]) => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'open') return void cycles.push([...path.slice(path.indexOf(n)), n].join(' -> '));
    state.set(n, 'open');
    for (const m of graph.get(n) ?? []) visit(m, [...path, n]);
    state.set(n, 'done');
  };
  for (const n of graph.keys()) visit(n, []);
  return cycles;
}

t.test('alarms and kpi do not import each other both ways; the folder graph has no cycle', async (t) => {
  const all = edges();
  t.notOk(all.has('alarms->kpi'), `alarms imports kpi: ${all.get('alarms->kpi')?.join(', ')}`);
  const graph = new Map<string, string[]>();
  for (const e of all.keys()) {
    const [a, b] = e.split('->');
    // The root's shared files (errors, log, deps) are a leaf layer, not a stage.
    if (KNOWN.has(e) || a === '.' || b === '.') continue;
    graph.set(a, [...(graph.get(a) ?? []), b]);
  }
  t.same(cyclesOf(graph), []);
  // The detector finds a cycle when there is one.
  t.same(cyclesOf(new Map([['alarms', ['kpi']], ['kpi', ['alarms']]])), ['alarms -> kpi -> alarms']);
});
