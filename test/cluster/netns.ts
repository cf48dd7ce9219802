// Network namespaces for multi-host tests: a hub namespace holding a Linux bridge, one namespace
// per member joined to it by a veth pair, on the project's own test subnet (10.77.0.0/24). Nothing
// is added to the host's own namespace. Names carry this process's pid so namespaces left by a run
// that was SIGKILLed are found and deleted by the next one; every run deletes its own at teardown
// and, as a trap, at process exit.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export const SUBNET = '10.77.0';
const PREFIX = 'esn';

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Namespaces of earlier runs whose process is gone (a SIGKILLed test): deleted. */
function reapStale(): void {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 10_000 });
  for (const line of (r.stdout ?? '').split('\n')) {
    const name = line.split(' ')[0];
    const m = new RegExp(`^${PREFIX}(\\d+)-`, 'u').exec(name);
    if (!m || alive(Number(m[1]))) continue;
    // Its processes outlived a SIGKILLed test: stopped by PID before the namespace goes.
    const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
    for (const pid of pids.split('\n').map(Number).filter((p) => p > 1)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    spawnSync('ip', ['netns', 'del', name], { timeout: 10_000 });
  }
}

/** false when namespaces can be made here, else why not (the test skips with it). */
export function netnsMissing(): string | false {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  const probe = `${PREFIX}${process.pid}-probe`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8', timeout: 10_000 });
  if (add.status !== 0) return `ip netns is not permitted here (needs root / CAP_SYS_ADMIN): ${(add.stderr || add.error?.message || '').trim()}`;
  const veth = spawnSync('ip', ['-n', probe, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1'], { encoding: 'utf8', timeout: 10_000 });
  const bridge = spawnSync('ip', ['-n', probe, 'link', 'add', 'b0', 'type', 'bridge'], { encoding: 'utf8', timeout: 10_000 });
  spawnSync('ip', ['netns', 'del', probe], { timeout: 10_000 });
  if (veth.status !== 0) return `veth pairs are not available: ${veth.stderr.trim()}`;
  if (bridge.status !== 0) return `Linux bridges are not available: ${bridge.stderr.trim()}`;
  return false;
}

export interface Topology {
  /** The hub namespace (the bridge, at SUBNET.1). */
  hub: string;
  hubAddr: string;
  /** Member name → its namespace and address. */
  members: Record<string, { ns: string; addr: string }>;
  /** Spawn `cmd` inside a namespace; the returned PID is the command's own (`ip netns exec` execs). */
  spawnIn(ns: string, cmd: string, args: string[], opts?: Parameters<typeof spawn>[2]): ChildProcess;
  /** SIGKILL (by PID) what spawnIn started and is still running, then delete every namespace (idempotent). */
  destroy(): void;
}

/**
 * A hub with a bridge and one namespace per member (addresses SUBNET.2, .3, … in order, or
 * `addr` given as the last octet). Call `destroy` at teardown; a process-exit trap also does.
 */
export function createTopology(members: (string | { name: string; octet: number })[]): Topology {
  reapStale();
  const tag = `${PREFIX}${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const hub = `${tag}-hub`;
  const created: string[] = [];
  const spawned: ChildProcess[] = [];
  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    process.off('exit', destroy);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    for (const c of spawned) if (c.pid && c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
    for (const ns of created.reverse()) spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
  };
  // The trap: normal exit, and the signals a runner's timeout or ^C sends (then re-raised).
  const onSignal = (sig: NodeJS.Signals) => {
    destroy();
    process.kill(process.pid, sig);
  };
  process.on('exit', destroy);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const out: Topology['members'] = {};
  try {
    ip(['netns', 'add', hub]);
    created.push(hub);
    ip(['-n', hub, 'link', 'set', 'lo', 'up']);
    ip(['-n', hub, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', hub, 'addr', 'add', `${SUBNET}.1/24`, 'dev', 'br0']);
    ip(['-n', hub, 'link', 'set', 'br0', 'up']);
    members.forEach((m, i) => {
      const { name, octet } = typeof m === 'string' ? { name: m, octet: i + 2 } : m;
      if (!/^[a-z0-9-]{1,20}$/u.test(name)) throw new Error(`member name ${name}: a-z, 0-9, '-'`);
      const ns = `${tag}-${name}`;
      ip(['netns', 'add', ns]);
      created.push(ns);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      // The hub end is named after the member's index (interface names are at most 15 bytes).
      const hubEnd = `v${i}`;
      ip(['-n', hub, 'link', 'add', hubEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      ip(['-n', hub, 'link', 'set', hubEnd, 'master', 'br0']);
      ip(['-n', hub, 'link', 'set', hubEnd, 'up']);
      const addr = `${SUBNET}.${octet}`;
      ip(['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
      ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      out[name] = { ns, addr };
    });
  } catch (err) {
    destroy();
    throw err;
  }
  return {
    hub,
    hubAddr: `${SUBNET}.1`,
    members: out,
    spawnIn: (ns, cmd, args, opts = {}) => {
      const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], opts);
      spawned.push(c);
      return c;
    },
    destroy,
  };
}
