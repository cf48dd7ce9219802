// Long fuzz run: ≥ 1,000,000 mutated inputs across every parser target (test/fuzz/targets.ts),
// printing per-target counts, inputs/s, clean rejections and crashes. A crash prints its input
// (base64) so it can be pasted into test/fuzz/regressions.test.ts.
//   node dist/bench/fuzz.js [--scale 1] [--seed 1]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fuzz, type Outcome } from '../test/fuzz/engine.js';
import { allTargets } from '../test/fuzz/targets.js';

// Inputs per target: the cheap binary parsers get most; YAML (rules, config) costs ~4 ms an input.
const BUDGET: Record<string, number> = {
  'sip-udp': 40_000, 'sip-tcp': 40_000, 'siprec-body': 30_000, sdp: 40_000, 'rs-metadata': 30_000, rtp: 150_000,
  'codec-pcmu': 150_000, 'codec-pcma': 150_000, 'codec-g722': 20_000, 'codec-l16': 150_000, 'codec-l16-stereo': 150_000, 'codec-opus-stereo': 30_000,
  'fork-ari-control': 60_000, 'fork-audiohook-message': 60_000, 'fork-l16-setup': 60_000, 'fork-framing': 60_000, 'ingest-auth': 60_000,
  rules: 5_000, config: 5_000, 'import-wav': 40_000, 'import-pcap': 20_000,
};

const { values } = parseArgs({ options: { scale: { type: 'string', default: '1' }, seed: { type: 'string', default: '1' } } });
const scale = Number(values.scale);
const seed = Number(values.seed);

const tmp = mkdtempSync(path.join(tmpdir(), 'earshot-fuzz-'));
const quiet = console.error;
console.error = () => {}; // opus-decoder prints each corrupt packet
const results: Outcome[] = [];
try {
  for (const target of await allTargets(tmp)) {
    const n = Math.max(1, Math.round((BUDGET[target.name] ?? 10_000) * scale));
    const out = await fuzz(target, n, seed);
    results.push(out);
    process.stdout.write(
      `${target.name.padEnd(24)} ${String(out.inputs).padStart(8)} inputs ${String(Math.round(out.inputs / (out.ms / 1000))).padStart(8)}/s ` +
        `rejected ${String(out.rejected).padStart(7)}  crashes ${out.crashCount}  slowest ${out.slowestMs.toFixed(1)} ms\n`,
    );
    for (const c of out.crashes.slice(0, 3)) process.stdout.write(`  CRASH ${c.error}\n  input(base64) ${c.input.toString('base64').slice(0, 2000)}\n`);
  }
} finally {
  console.error = quiet;
  rmSync(tmp, { recursive: true, force: true });
}
const total = results.reduce((a, r) => a + r.inputs, 0);
const ms = results.reduce((a, r) => a + r.ms, 0);
const crashes = results.reduce((a, r) => a + r.crashCount, 0);
// Baseline measured in the same run: the cheapest target (G.711 table decode) is the floor.
const floor = results.find((r) => r.target === 'codec-pcmu');
const rate = total / (ms / 1000);
console.log(`TOTAL ${total} inputs in ${(ms / 1000).toFixed(1)} s = ${Math.round(rate)}/s (${floor ? (rate / (floor.inputs / (floor.ms / 1000))).toFixed(3) : '-'}× the PCMU-decode baseline), crashes ${crashes}`);
process.exitCode = crashes ? 1 : 0;
