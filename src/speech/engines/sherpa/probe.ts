// Child-process probe of a sherpa model: sherpa-onnx aborts the whole process (an uncaught C++
// exception) on a corrupt ONNX file, so a model is first loaded here, where an abort costs
// nothing but a failed probe, before any worker thread of the appliance loads it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SherpaSpec } from './index.js';

const PROBE_TIMEOUT_MS = 120000;

export interface ProbeResult {
  ok: boolean;
  detail: string;
  /** Set when sherpa-onnx was asked for a provider it lacks and loaded on the CPU instead. */
  providerFallback?: string;
  /** Hot-words the model's tokens cannot spell: sherpa-onnx skips them (and says so only on stderr). */
  skippedHotwords?: string[];
}

// utils.cc: "Cannot find ID for token X at line: <the hot-word, pieces spaced>. (Hint: ...)"
const UNENCODABLE = /Cannot find ID for token .*? at line: (.*?)\. \(Hint/g;

// session.cc, when the build lacks the provider asked for: "... Available providers: X, . Fallback to cpu!"
const FALLBACK = /Available providers: ([^\n]*?)\s*\.?\s*Fallback to cpu/;

export function probeSherpa(spec: SherpaSpec): Promise<ProbeResult> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve) => {
    // execArgv carries a TypeScript loader when running from src/ under tap.
    const child = spawn(process.execPath, [...process.execArgv, self, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: `probe could not start: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        const r: ProbeResult = { ok: true, detail: 'loaded' };
        const fb = FALLBACK.exec(out);
        if (fb) r.providerFallback = `this sherpa-onnx build has no ${spec.provider ?? 'cpu'} support (available: ${fb[1].replace(/,\s*$/, '')})`;
        const skipped = [...new Set([...out.matchAll(UNENCODABLE)].map((m) => m[1]))];
        if (skipped.length) r.skippedHotwords = skipped;
        return resolve(r);
      }
      // sherpa's own message (a file path and a parser error), last line only.
      const last = out.trim().split('\n').filter(Boolean).slice(-2).join(' ').slice(0, 300);
      resolve({ ok: false, detail: `model failed to load (${signal ?? `exit ${code}`}): ${last}` });
    });
  });
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as SherpaSpec;
  const { createSherpaEngine } = await import('./index.js');
  const engine = createSherpaEngine(spec);
  const s = engine.start();
  s.accept(new Float32Array(16000));
  s.end();
  engine.close();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
