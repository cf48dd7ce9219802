// The subset of sherpa-onnx-node (no bundled types) that the sherpa engine uses.
declare module 'sherpa-onnx-node' {
  export interface OnlineStream {
    acceptWaveform(w: { samples: Float32Array; sampleRate: number }): void;
    inputFinished(): void;
  }
  export interface OnlineResult {
    text: string;
    tokens: string[];
    timestamps: number[];
  }
  export class OnlineRecognizer {
    constructor(config: Record<string, unknown>);
    createStream(): OnlineStream;
    isReady(s: OnlineStream): boolean;
    decode(s: OnlineStream): void;
    isEndpoint(s: OnlineStream): boolean;
    reset(s: OnlineStream): void;
    getResult(s: OnlineStream): OnlineResult;
  }
  const sherpa: { OnlineRecognizer: typeof OnlineRecognizer };
  export default sherpa;
}
