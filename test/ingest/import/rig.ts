// Shared by the import tests: WAV writers and a rig of real registry, bus, metrics and ledger.
// The speech stage is faked (pendingSeconds/legDone only): real recognition is tested in
// test/speech. Everything else is real: files on disk, the registry, the bus, the metrics.
import { pino } from 'pino';
import { PipelineBus } from '../../../src/call/events.js';
import { CallRegistry } from '../../../src/call/registry.js';
import type { AudioChunk, LegInfo } from '../../../src/call/types.js';
import { createMemoryLedger, type SpeechPort } from '../../../src/ingest/import/index.js';
import { createMetrics } from '../../../src/metrics/registry.js';

export function wav(opts: { tag?: number; bits?: number; channels: number; rate: number; data: Buffer; extra?: boolean; dataSize?: number }): Buffer {
  const bits = opts.bits ?? 16;
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(opts.tag ?? 1, 8);
  fmt.writeUInt16LE(opts.channels, 10);
  fmt.writeUInt32LE(opts.rate, 12);
  fmt.writeUInt32LE((opts.rate * opts.channels * bits) / 8, 16);
  fmt.writeUInt16LE((opts.channels * bits) / 8, 20);
  fmt.writeUInt16LE(bits, 22);
  // An odd-sized LIST chunk (padded) as some recorders write: the parser must step over it.
  const list = opts.extra ? Buffer.concat([Buffer.from('LIST', 'latin1'), u32(3), Buffer.from('abc\0', 'latin1')]) : Buffer.alloc(0);
  const dataHdr = Buffer.concat([Buffer.from('data', 'latin1'), u32(opts.dataSize ?? opts.data.length)]);
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), list, fmt, dataHdr, opts.data]);
  return Buffer.concat([Buffer.from('RIFF', 'latin1'), u32(body.length), body]);
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};

/** Interleaved s16: channel c, sample i = pattern(c, i). */
export function pcm(channels: number, n: number, pattern: (c: number, i: number) => number): Buffer {
  const b = Buffer.alloc(n * channels * 2);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) b.writeInt16LE(pattern(c, i), (i * channels + c) * 2);
  return b;
}

export function rig(speech: Partial<SpeechPort> = {}) {
  const bus = new PipelineBus();
  const calls = new CallRegistry(bus, 10);
  const metrics = createMetrics({ defaults: false });
  const imports = createMemoryLedger();
  const audio = new Map<string, AudioChunk[]>();
  const legs: LegInfo[] = [];
  const order: string[] = [];
  bus.on('leg.added', (l) => legs.push(l));
  bus.on('leg.audio', (a) => (audio.get(a.legId) ?? audio.set(a.legId, []).get(a.legId)!).push(a));
  bus.on('call.started', () => order.push('started'));
  bus.on('call.ended', (e) => order.push(`ended:${e.state}`));
  const port: SpeechPort = {
    pendingSeconds: () => 0,
    legDone: async (id) => void order.push(`legDone:${legs.find((l) => l.legId === id)?.role}`),
    ...speech,
  };
  const deps = { log: pino({ level: 'silent' }), bus, calls, metrics, speech: port, imports };
  const bad = async () => (await metrics.registry.getSingleMetric('earshot_bad_input_total')!.get()).values;
  return { deps, bus, calls, metrics, imports, audio, legs, order, bad };
}

export const joined = (chunks: AudioChunk[]) => Int16Array.from(chunks.flatMap((c) => [...c.samples]));

