import { Counter, Gauge, type Registry } from 'prom-client';

/** 'messages' is not a fork: it is the live conversations API's key (src/ingest/conversations). */
export type ForkProtocol = 'audio-fork' | 'jambonz' | 'audiohook' | 'ari' | 'audiosocket' | 'messages';

export interface ForkMetrics {
  connected(protocol: ForkProtocol): () => void;
  audio(protocol: ForkProtocol, seconds: number): void;
}

/**
 * Live fork connections and audio received, per protocol (a bounded label). Shared by the
 * websocket plugin and the AudioSocket listener, so declared once per registry.
 */
export function forkMetrics(registry: Registry): ForkMetrics {
  const conns =
    (registry.getSingleMetric('earshot_fork_connections') as Gauge<'protocol'> | undefined) ??
    new Gauge({ name: 'earshot_fork_connections', help: 'Open audio-fork connections by protocol', labelNames: ['protocol'] as const, registers: [registry] });
  const secs =
    (registry.getSingleMetric('earshot_fork_audio_seconds_total') as Counter<'protocol'> | undefined) ??
    new Counter({ name: 'earshot_fork_audio_seconds_total', help: 'Seconds of leg audio received over audio forks, by protocol', labelNames: ['protocol'] as const, registers: [registry] });
  return {
    connected(protocol) {
      conns.inc({ protocol });
      let open = true;
      return () => {
        if (open) conns.dec({ protocol });
        open = false;
      };
    },
    audio: (protocol, seconds) => secs.inc({ protocol }, seconds),
  };
}
