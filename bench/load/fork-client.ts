// A FreeSWITCH mod_audio_fork client: subprotocol audio.drachtio.org, a JSON metadata text frame,
// then L16 stereo (customer, agent interleaved: channel 0 is the customer) in 100 ms messages paced at real time.
import { WebSocket } from 'ws';

/**
 * Fork ingest is closed without a key: the load tools, fault and endurance tests configure this one
 * (LOAD_FORKS in a config, LOAD_FORKS_ENV for a child `earshot serve`) and the client presents it.
 */
export const LOAD_FORK_KEY = 'load-fork-key-0123456789abcdef';
export const LOAD_FORKS = { apiKeys: [{ name: 'load', key: LOAD_FORK_KEY }] };
export const LOAD_FORKS_ENV = { EARSHOT_FORKS_API_KEYS: JSON.stringify(LOAD_FORKS.apiKeys) };
export const LOAD_AUTH = { authorization: `Bearer ${LOAD_FORK_KEY}` };

export interface ForkCallResult {
  sentMs: number;
  closeCode: number;
}

export async function runForkCall(baseUrl: string, pcm: Buffer, o: { sampleRate: number; callSid: string; agentId?: string }): Promise<ForkCallResult> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ingest/audio-fork`, ['audio.drachtio.org'], { headers: LOAD_AUTH });
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ callSid: o.callSid, sampleRate: o.sampleRate, mixType: 'stereo', agentId: o.agentId ?? '1001' }));
  const chunk = (o.sampleRate / 10) * 4; // 100 ms of stereo s16
  const t0 = performance.now();
  let sent = 0;
  for (let off = 0; off < pcm.length && ws.readyState === WebSocket.OPEN; off += chunk, sent += 100) {
    ws.send(pcm.subarray(off, off + chunk));
    // Pace on the wall clock, not on timers, so drift does not accumulate.
    const wait = t0 + sent + 100 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  ws.close(1000, 'done');
  const timeout = new Promise<number>((r) => setTimeout(() => (ws.terminate(), r(-1)), 10_000).unref());
  return { sentMs: sent, closeCode: await Promise.race([closed, timeout]) };
}
