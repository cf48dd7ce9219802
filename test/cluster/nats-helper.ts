// A real nats-server for tests: JetStream in a temp dir, loopback port (or an address inside a
// network namespace, test/cluster/netns.ts), killed by PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const natsServerMissing = (): string | false =>
  spawnSync('nats-server', ['--version']).status === 0 ? false : 'nats-server is not installed (Debian package nats-server; scripts/setup.sh installs it)';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface NatsServer {
  url: string;
  port: number;
  dir: string;
  /** Kill (SIGKILL) and start again on the same port and store. */
  restart(): Promise<void>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `o.netns`: run inside that namespace (`ip netns exec` execs: the PID is nats-server's), listening on `o.host`.
 * `o.conf`: a config file (it sets listen, TLS, store dir and users; `o.env` its $VARIABLES); `o.port` must match it.
 */
export async function startNats(o: { netns?: string; host?: string; port?: number; conf?: string; env?: Record<string, string> } = {}): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-nats-'));
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? (await freePort());
  let child: ChildProcess | undefined;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const args = o.conf ? ['-c', o.conf] : ['-js', '-sd', join(dir, 'js'), '-a', host, '-p', String(port)];
      const [cmd, argv] = o.netns ? ['ip', ['netns', 'exec', o.netns, 'nats-server', ...args]] : ['nats-server', args];
      const c = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...o.env } });
      child = c;
      let out = '';
      const timer = setTimeout(() => (c.kill('SIGKILL'), reject(new Error(`nats-server did not start: ${out}`))), 15_000);
      c.stderr!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.once('exit', () => clearTimeout(timer));
    });
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode) return;
    const gone = new Promise((r) => c.once('exit', r));
    process.kill(c.pid!, 'SIGKILL');
    await gone;
  };
  await start();
  return {
    url: `${o.conf ? 'tls' : 'nats'}://${host}:${port}`,
    port,
    dir,
    async restart() {
      await kill();
      await start();
    },
    kill,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
