// sherpa-onnx engine: one OnlineRecognizer (model) per worker, one stream per VAD segment of a
// leg. Audio is decoded as it arrives, so partials are real; the segment's final comes at end().
// Within a long segment the model's endpointer may fire: the text so far is banked and the stream
// reset, which bounds decoder state (long streams grow memory) without splitting the final.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sherpa, { type OnlineRecognizer, type OnlineStream } from 'sherpa-onnx-node';
import { type AsrEngine, type AsrResult, type AsrStream, type AsrWord, EngineError } from '../engine.js';
import type { ModelManifest } from '../../models/manifest.js';

export interface SherpaSpec {
  modelDir: string;
  manifest: ModelManifest;
  hotwords: string[];
  /** Endpoint rules in seconds (sherpa defaults: 2.4, 1.2, 20). */
  endpoint?: { rule1MinTrailingSilence?: number; rule2MinTrailingSilence?: number; rule3MinUtteranceLength?: number };
  numThreads?: number;
  /** onnxruntime execution provider: 'cuda' needs a GPU build of sherpa-onnx (docs/gpu.md). */
  provider?: 'cpu' | 'cuda';
}

/** The recogniser configuration sherpa-onnx-node expects, from a manifest. Shared with the probe. */
export function recognizerConfig(spec: SherpaSpec, hotwordsFile?: string): Record<string, unknown> {
  const f = (role: string) => (spec.manifest.files[role] ? join(spec.modelDir, spec.manifest.files[role]) : '');
  const model: Record<string, unknown> = { tokens: f('tokens'), numThreads: spec.numThreads ?? 1, debug: 0, provider: spec.provider ?? 'cpu' };
  if (spec.manifest.type === 'transducer') model.transducer = { encoder: f('encoder'), decoder: f('decoder'), joiner: f('joiner') };
  else if (spec.manifest.type === 'paraformer') model.paraformer = { encoder: f('encoder'), decoder: f('decoder') };
  else model.zipformer2Ctc = { model: f('model') };
  const unit = spec.manifest.modelingUnit ?? 'bpe';
  const hot = Boolean(hotwordsFile) && hotwordsUsable(spec.manifest);
  if (hot) {
    model.modelingUnit = unit;
    if (spec.manifest.files.bpeVocab) model.bpeVocab = f('bpeVocab');
  }
  return {
    featConfig: { sampleRate: 16000, featureDim: 80 },
    modelConfig: model,
    // Hot-words need modified beam search; plain greedy is ~3x cheaper otherwise.
    decodingMethod: hot ? 'modified_beam_search' : 'greedy_search',
    maxActivePaths: 4,
    enableEndpoint: 1,
    rule1MinTrailingSilence: spec.endpoint?.rule1MinTrailingSilence ?? 2.4,
    rule2MinTrailingSilence: spec.endpoint?.rule2MinTrailingSilence ?? 1.2,
    rule3MinUtteranceLength: spec.endpoint?.rule3MinUtteranceLength ?? 20,
    ...(hot ? { hotwordsFile, hotwordsScore: 1.5 } : {}),
  };
}

/** Hot-words need modified beam search (transducers) and the token pieces: CJK characters, or a bpe.vocab for BPE models. */
export function hotwordsUsable(m: ModelManifest): boolean {
  return m.type === 'transducer' && ((m.modelingUnit ?? 'bpe') === 'cjkchar' || Boolean(m.files.bpeVocab));
}

export function createSherpaEngine(spec: SherpaSpec): AsrEngine {
  // sherpa-onnx reports a missing file on stderr and throws a bare Error: name the file here.
  for (const [role, rel] of Object.entries(spec.manifest.files)) {
    if (!existsSync(join(spec.modelDir, rel))) {
      throw new EngineError('EARSHOT_ERR_MODEL_MISSING', `sherpa model "${spec.manifest.name}": ${role} file ${join(spec.modelDir, rel)} is missing`);
    }
  }
  let hotwordsFile: string | undefined;
  if (spec.hotwords.length && hotwordsUsable(spec.manifest)) {
    hotwordsFile = join(mkdtempSync(join(tmpdir(), 'earshot-hot-')), 'hotwords.txt');
    // English BPE pieces are upper-case (also in the bilingual models); CJK is unaffected.
    const words = spec.manifest.language.includes('en') ? spec.hotwords.map((w) => w.toUpperCase()) : spec.hotwords;
    writeFileSync(hotwordsFile, words.join('\n') + '\n');
  }
  let rec: OnlineRecognizer;
  try {
    rec = new sherpa.OnlineRecognizer(recognizerConfig(spec, hotwordsFile));
  } catch (err) {
    if (hotwordsFile) rmSync(dirname(hotwordsFile), { recursive: true, force: true });
    throw new EngineError('EARSHOT_ERR_MODEL_LOAD', `sherpa model "${spec.manifest.name}" (${spec.modelDir}) failed to load: ${err instanceof Error ? err.message : String(err)}`);
  }

  class SherpaStream implements AsrStream {
    #s: OnlineStream = rec.createStream();
    #banked: AsrResult = { text: '', words: [] };
    #fed = 0; // samples fed since the stream's last reset
    #offsetMs = 0; // segment time at the stream's last reset
    #endpoints = 0;
    #done = false;

    accept(samples: Float32Array): void {
      if (this.#done) return;
      this.#s.acceptWaveform({ samples, sampleRate: 16000 });
      this.#fed += samples.length;
      this.#decode();
      if (rec.isEndpoint(this.#s)) {
        this.#bank();
        this.#endpoints++;
        rec.reset(this.#s);
        this.#offsetMs += (this.#fed * 1000) / 16000;
        this.#fed = 0;
      }
    }

    partial(): string | null {
      return join2(this.#banked.text, this.#current().text) || null;
    }

    end(): AsrResult {
      if (this.#done) return { text: '', words: [] };
      this.#done = true;
      // Tail padding lets the model emit the last tokens before input ends.
      this.#s.acceptWaveform({ samples: new Float32Array(4800), sampleRate: 16000 });
      this.#s.inputFinished();
      this.#decode();
      this.#bank();
      return { ...this.#banked, endpoints: this.#endpoints };
    }

    cancel(): void {
      this.#done = true;
    }

    #decode(): void {
      while (rec.isReady(this.#s)) rec.decode(this.#s);
    }

    #current(): AsrResult {
      const r = rec.getResult(this.#s);
      return { text: r.text.trim().toLowerCase(), words: words(r.tokens, r.timestamps, this.#offsetMs, this.#offsetMs + (this.#fed * 1000) / 16000) };
    }

    #bank(): void {
      const cur = this.#current();
      this.#banked = { text: join2(this.#banked.text, cur.text), words: [...this.#banked.words, ...cur.words] };
    }
  }

  return {
    name: 'sherpa',
    detail: `sherpa-onnx ${spec.manifest.name} (${spec.manifest.type}, ${spec.manifest.language}) on ${spec.provider ?? 'cpu'}${hotwordsFile ? `, ${spec.hotwords.length} hot-words` : ''}`,
    start: () => new SherpaStream(),
    close: () => {
      if (hotwordsFile) rmSync(dirname(hotwordsFile), { recursive: true, force: true });
    },
  };
}

function join2(a: string, b: string): string {
  return a && b ? `${a} ${b}` : a || b;
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

/** BPE pieces → words: a piece starting with ▁ (or a space) opens a word; each CJK character is one. */
export function words(tokens: string[], times: number[], offsetMs: number, endMs: number): AsrWord[] {
  const out: AsrWord[] = [];
  tokens.forEach((tok, i) => {
    const start = offsetMs + (times[i] ?? 0) * 1000;
    const opens = out.length === 0 || /^[\u2581 ]/.test(tok) || CJK.test(tok) || CJK.test(out[out.length - 1].w.slice(-1));
    const piece = tok.replace(/^[\u2581 ]+/, '').toLowerCase();
    if (!piece) return;
    if (opens) out.push({ w: piece, startMs: Math.round(start), endMs: Math.round(start) });
    else out[out.length - 1].w += piece;
  });
  for (let i = 0; i < out.length; i++) out[i].endMs = i + 1 < out.length ? out[i + 1].startMs : Math.round(endMs);
  return out;
}
