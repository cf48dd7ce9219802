// Import speed of the ingest side alone: the bundled demo call (16 kHz stereo WAV) and the test
// capture (pcap, two SIP calls) through importFile onto the bus, with a speech port that never
// pushes back (recognition is measured end to end by the lead). Baseline in the same run: reading
// and hashing the same file, the I/O every import must do anyway.
//   npm run build && node dist/bench/import-speed.js [rounds]
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { PipelineBus } from '../src/call/events.js';
import { CallRegistry } from '../src/call/registry.js';
import { createMemoryLedger, importFile } from '../src/ingest/import/index.js';
import { createMetrics } from '../src/metrics/registry.js';

const ROUNDS = Number(process.argv[2] ?? 5);
const root = new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url);
const files = [fileURLToPath(new URL('assets/demo/demo-call.wav', root)), fileURLToPath(new URL('test/fixtures/audio/two-calls.pcap', root))];

async function once(file: string): Promise<{ ms: number; audioMs: number }> {
  const bus = new PipelineBus();
  let audioMs = 0;
  bus.on('leg.audio', (a) => (audioMs += (a.samples.length * 1000) / a.sampleRate));
  const deps = {
    log: pino({ level: 'silent' }),
    bus,
    calls: new CallRegistry(bus, 10),
    metrics: createMetrics({ defaults: false }),
    speech: { pendingSeconds: () => 0, legDone: async () => {} },
    imports: createMemoryLedger(),
  };
  const t0 = performance.now();
  await importFile(deps, file);
  return { ms: performance.now() - t0, audioMs };
}

function baseline(file: string): number {
  const t0 = performance.now();
  createHash('sha256').update(readFileSync(file)).digest('hex');
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const file of files) {
  await once(file); // warm-up
  const runs: { ms: number; audioMs: number }[] = [];
  const base: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    runs.push(await once(file));
    base.push(baseline(file));
  }
  const ms = median(runs.map((r) => r.ms));
  const b = median(base);
  const audioS = runs[0].audioMs / 1000;
  console.log(
    `${file.split('/').pop()}: ${audioS.toFixed(1)} s of leg audio imported in ${ms.toFixed(1)} ms = ${(audioS / (ms / 1000)).toFixed(0)}x real time; ` +
      `read+hash baseline ${b.toFixed(2)} ms (import/baseline ${(ms / b).toFixed(1)}x)`,
  );
}
