export { LegBaseline, speakingRate, WEIGHTS, MIN_BASELINE, type VoiceSample } from './voice.js';
export { fuse, NEG, POS, HIGH_AROUSAL, SHOUT_AROUSAL, SEVERITY } from './fusion.js';
export { Trajectory, type EmotionPoint, type EmotionTrajectory } from './trajectory.js';
export { loadSer, SER_FEATURES, SER_LABELS, SerModelError, type SerModel, type SerInput, type SerOutput } from './ser.js';
