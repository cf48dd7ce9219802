import { SingleBar, Presets } from 'cli-progress';
import { loadConfig, type Config } from '../config/index.js';

export function configFrom(opts: { config?: string }, overrides?: Record<string, unknown>): Config {
  return loadConfig({ file: opts.config, overrides });
}

/** A progress bar on a terminal; plain periodic lines when output is piped (logs, CI). */
export function progressBar(label: string, unit: string) {
  if (!process.stderr.isTTY) {
    let last = 0;
    return {
      update(done: number, total: number) {
        const now = Date.now();
        if (now - last > 2000 || done >= total) {
          last = now;
          process.stderr.write(`${label}: ${Math.round((100 * done) / Math.max(total, 1))}% (${done}/${total} ${unit})\n`);
        }
      },
      stop() {},
    };
  }
  const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | eta {eta}s`, stream: process.stderr }, Presets.shades_classic);
  let started = false;
  return {
    update(done: number, total: number) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
