// The speech stage's Prometheus metrics. Labels are bounded enums (engine, kind), never leg ids.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface SpeechMetrics {
  behind: Gauge;
  legs: Gauge;
  pending: Gauge;
  restarts: Counter;
  segments: Counter;
  finals: Counter<'engine'>;
  shedSeconds: Counter;
  keywordSeconds: Counter;
  keywordHits: Counter;
  keywordLegs: Gauge;
  errors: Counter<'code'>;
  engine: Gauge<'engine' | 'provider'>;
  finalLatency: Histogram<'engine'>;
  rtf: Histogram<'engine'>;
  partialLatency: Histogram<'engine'>;
}

export function createSpeechMetrics(registry: Registry, pendingSeconds: () => number): SpeechMetrics {
  return {
    behind: new Gauge({
      name: 'earshot_legs_behind_realtime',
      help: 'Legs whose audio waits longer than speech.maxQueueSeconds for recognition',
      registers: [registry],
    }),
    engine: new Gauge({
      name: 'earshot_speech_engine',
      help: 'The recognition engine running (1), with the onnxruntime provider when it is sherpa-onnx (none for pocketsphinx)',
      labelNames: ['engine', 'provider'] as const,
      registers: [registry],
    }),
    legs: new Gauge({ name: 'earshot_speech_legs', help: 'Legs being recognised', registers: [registry] }),
    pending: new Gauge({
      name: 'earshot_speech_pending_seconds',
      help: 'Seconds of audio queued for recognition workers, over all legs',
      registers: [registry],
      collect() {
        this.set(pendingSeconds());
      },
    }),
    restarts: new Counter({ name: 'earshot_asr_restarts_total', help: 'Recognition workers restarted after dying', registers: [registry] }),
    segments: new Counter({ name: 'earshot_vad_segments_total', help: 'Speech segments found by the VAD', registers: [registry] }),
    finals: new Counter({
      name: 'earshot_asr_finals_total',
      help: 'Final transcripts emitted, by engine',
      labelNames: ['engine'] as const,
      registers: [registry],
    }),
    shedSeconds: new Counter({
      name: 'earshot_speech_shed_seconds_total',
      help: 'Seconds of audio dropped because a leg was far behind real time (each episode also raises a call event)',
      registers: [registry],
    }),
    keywordSeconds: new Counter({
      name: 'earshot_speech_keyword_watch_seconds_total',
      help: 'Seconds of shed audio that went to keyword spotting instead of being dropped (speech.keywordWatch)',
      registers: [registry],
    }),
    keywordHits: new Counter({
      name: 'earshot_speech_keyword_hits_total',
      help: 'Watch phrases spotted on legs whose full transcription was shed',
      registers: [registry],
    }),
    keywordLegs: new Gauge({ name: 'earshot_speech_keyword_watch_legs', help: 'Legs on keyword watch now', registers: [registry] }),
    finalLatency: new Histogram({
      name: 'earshot_asr_final_latency_seconds',
      help: 'From the VAD closing a speech segment to its final transcript (queueing + decoding), by engine',
      labelNames: ['engine'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    rtf: new Histogram({
      name: 'earshot_asr_rtf',
      help: 'Real-time factor of each final utterance: engine time in the worker (including any partial decodes) per second of segment audio, by engine',
      labelNames: ['engine'] as const,
      buckets: [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2],
      registers: [registry],
    }),
    partialLatency: new Histogram({
      name: 'earshot_asr_partial_latency_seconds',
      help: 'From the newest audio a partial covers reaching the recogniser to the partial being emitted, by engine',
      labelNames: ['engine'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'earshot_asr_errors_total',
      help: 'Recognition failures by error code: a leg reset in recognition, or the configured engine unusable at start (fallback)',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
  };
}
