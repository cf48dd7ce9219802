import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One turn of a spoken test call: who says it (customer left channel, agent right) and what. */
export type Turn = ['customer' | 'agent', string];

/**
 * A stereo 16 kHz call spoken by flite (kal16) and joined with sox, as scripts/make-demo-call.sh does:
 * the turns in order with 0.8 s after each; returns the two channels [customer, agent].
 */
export function fliteCall(dir: string, turns: readonly Turn[]): Int16Array[] {
  const segs: string[] = [];
  turns.forEach(([who, text], i) => {
    const raw = path.join(dir, `t${i}-raw.wav`);
    const seg = path.join(dir, `t${i}.wav`);
    execFileSync('flite', ['-voice', 'kal16', '-t', text, '-o', raw], { timeout: 20_000 });
    execFileSync('sox', ['-D', '-R', raw, '-r', '16000', '-b', '16', '-c', '2', seg, 'remix', ...(who === 'customer' ? ['1', '0'] : ['0', '1']), 'pad', '0', '0.8'], { timeout: 20_000 });
    segs.push(seg);
  });
  const stereo = path.join(dir, 'call.raw');
  execFileSync('sox', ['-D', '-R', ...segs, '-t', 's16', '-r', '16000', '-c', '2', '-L', stereo], { timeout: 20_000 });
  const buf = readFileSync(stereo);
  const all = new Int16Array(buf.buffer, buf.byteOffset, buf.length / 2);
  const chans = [new Int16Array(all.length / 2), new Int16Array(all.length / 2)];
  for (let i = 0; i < all.length / 2; i++) [chans[0][i], chans[1][i]] = [all[2 * i], all[2 * i + 1]];
  return chans;
}

const MAKE_CALL = fileURLToPath(new URL('../../scripts/make-call.sh', import.meta.url));

/**
 * Runs scripts/make-call.sh with `turns` (its "speaker mood pause text" lines) on stdin, writing the call
 * to `out`; `voices` are passed on. Bounded: after 60 s its process group (flite, sox too) is killed by id.
 */
export function scriptedCall(out: string, turns: string, voices: string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [MAKE_CALL, out, ...voices], { stdio: ['pipe', 'ignore', 'pipe'], detached: true });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`make-call.sh exited ${code}: ${err.slice(0, 300)}`));
    });
    child.stdin.end(turns);
  });
}
