// RTP ingest throughput on one core: packets/s received, parsed (RFC 3550), latched, jitter-
// buffered and decoded (PCMU → 20 ms frames on the bus), against a bare dgram receive loop on the
// same sockets in the same run. A child process on the other core blasts 172-byte RTP packets
// round-robin over LEGS ports for SECONDS per phase. Two figures per phase: the wall-clock receive
// rate (capped by the sender or by socket drops) and the capacity of the receiving core
// (packets per CPU-second of this process), which is what the goal is about.
//   npm run build && node dist/bench/rtp-throughput.js [seconds] [legs]
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { PipelineBus } from '../src/call/events.js';
import { createDecoder } from '../src/ingest/codecs/index.js';
import { RtpReceiver } from '../src/ingest/rtp/receiver.js';
import { RtpStream } from '../src/ingest/rtp/stream.js';

const SECONDS = Number(process.argv[2] ?? 3);
const LEGS = Number(process.argv[3] ?? 50);

// The sender: Python in a child process on the other core. Its sendto() copies synchronously, so
// one mutable packet per leg is safe, and it outpaces a Node sender several times over.
const SENDER = `
import socket, struct, sys, time, json
ports = json.loads(sys.argv[1]); seconds = float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
pkts = [bytearray(b'\\x80\\x00' + b'\\x00' * 10 + b'\\x55' * 160) for _ in ports]
for i, b in enumerate(pkts): struct.pack_into('!I', b, 8, i + 1)
seq = [0] * len(ports); sent = 0; n = len(ports); end = time.time() + seconds
while time.time() < end:
    for _ in range(1000):
        i = sent % n; q = seq[i]; seq[i] = q + 1
        struct.pack_into('!HI', pkts[i], 2, q & 0xffff, (q * 160) & 0xffffffff)
        try: s.sendto(pkts[i], ('127.0.0.1', ports[i]))
        except BlockingIOError: pass
        sent += 1
time.sleep(0.2)
print(sent)
`;

async function bindAll(n: number): Promise<dgram.Socket[]> {
  const socks: dgram.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    socks.push(s);
  }
  return socks;
}

function runSender(ports: number[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', SENDER, JSON.stringify(ports), String(SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const kill = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 10) * 1000);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', () => {
      clearTimeout(kill);
      resolve(Number(out));
    });
    child.on('error', reject);
  });
}

interface Phase {
  sent: number;
  received: number;
  wallPps: number;
  corePps: number;
}

async function phase(socks: dgram.Socket[], count: () => number): Promise<Phase> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const sent = await runSender(socks.map((s) => s.address().port));
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const received = count();
  return { sent, received, wallPps: received / wall, corePps: received / cpuSec };
}

async function main(): Promise<void> {
  // Baseline: the same sockets, a handler that only counts.
  const bareSocks = await bindAll(LEGS);
  let bare = 0;
  for (const s of bareSocks) s.on('message', () => bare++);
  const base = await phase(bareSocks, () => bare);
  for (const s of bareSocks) s.close();

  // Full path: latch, parse, jitter buffer (60 ms), PCMU decode, 20 ms frames emitted on the bus.
  const socks = await bindAll(LEGS);
  const bus = new PipelineBus();
  let frames = 0;
  bus.on('leg.audio', () => frames++);
  const streams: RtpStream[] = [];
  let refused = 0;
  for (const [i, s] of socks.entries()) {
    const dec = await createDecoder({ name: 'PCMU', clockRate: 8000 });
    const stream = new RtpStream(
      { decoders: new Map([[0, dec]]), events: new Map() },
      { audio: (samples, sampleRate, tMs) => bus.emit('leg.audio', { legId: String(i), samples, sampleRate, tMs }), dtmf: () => {}, reject: () => refused++ },
      60,
    );
    streams.push(stream);
    const rtcp = dgram.createSocket('udp4');
    new RtpReceiver({ port: s.address().port, rtp: s, rtcp }, stream, '127.0.0.1', { foreign: () => refused++, rtcp: () => {} });
  }
  const full = await phase(socks, () => streams.reduce((n, s) => n + s.quality.packets + s.quality.duplicates + s.quality.late, refused));
  const accepted = streams.reduce((n, s) => n + s.quality.packets, 0);
  for (const s of socks) s.close();

  const fmt = (p: Phase) => `sent ${p.sent}, received ${p.received} (${((100 * p.received) / p.sent).toFixed(1)}%), wall ${Math.round(p.wallPps / 1000)}k pkt/s, one core ${Math.round(p.corePps / 1000)}k pkt/s`;
  console.log(`RTP throughput, ${LEGS} legs, ${SECONDS} s per phase, 172-byte PCMU packets`);
  console.log(`  bare dgram receive : ${fmt(base)}`);
  console.log(`  parse+jb+decode    : ${fmt(full)}; ${frames} frames emitted, ${accepted} accepted, ${refused} refused`);
  console.log(`  ratio to bare      : wall ${(full.wallPps / base.wallPps).toFixed(2)}, per core ${(full.corePps / base.corePps).toFixed(2)}`);
  console.log(`  goal ≥ 200k pkt/s on one core and ≥ 0.50 of bare: ${full.corePps >= 200000 && full.corePps / base.corePps >= 0.5 ? 'met' : 'NOT met'}`);
}

void main();
