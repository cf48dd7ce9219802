// `npm run bench`: runs every benchmark in its own process, one after another (they measure
// throughput on a 2-core machine: running two at once would measure each other). Each prints
// its figures and the ratio to a baseline measured in the same run; this collects the output.
// `npm run bench -- wer store-throughput` runs only the named ones.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ALL = ['rtp-throughput', 'store-throughput', 'analysis-throughput', 'alarm-latency', 'alarm-e2e-latency', 'import-speed', 'channels', 'console-load', 'dashboard-queries', 'event-loop', 'speech-speed', 'wer', 'keyword-watch', 'understanding', 'recordings'];
const only = process.argv.slice(2);
const pick = only.length ? ALL.filter((b) => only.includes(b)) : ALL;
let failed = 0;
for (const name of pick) {
  const file = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  process.stdout.write(`\n=== ${name} (node ${file})\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [file], { stdio: 'inherit', timeout: 20 * 60_000 });
  if (r.status !== 0) failed++;
  process.stdout.write(`=== ${name}: ${r.status === 0 ? 'ok' : `FAILED (${r.status ?? r.signal})`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
process.exitCode = failed ? 1 : 0;
