// Messages between the recordings stage and its encoder thread.
export type ToEncoder =
  | { t: 'open'; id: string; path: string; keyId: string; key: Uint8Array; rate: number; bitrate: number }
  | { t: 'pcm'; id: string; samples: Int16Array }
  | { t: 'close'; id: string }
  /** Drop the leg: close and delete its file (storage stopped, e.g. disk guard). */
  | { t: 'abort'; id: string };

export type FromEncoder =
  | { t: 'closed'; id: string; bytes: number; frames: number; rate: number; frame: number }
  | { t: 'error'; id: string; code: 'EARSHOT_ERR_RECORDING_IO' | 'EARSHOT_ERR_INTERNAL' };

/** Frames per sealed chunk: 5 s of 20 ms frames, so a seek decrypts at most ~10 s of audio. */
export const FRAMES_PER_CHUNK = 250;
