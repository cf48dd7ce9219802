export { LegBaseline, speakingRate, WEIGHTS, MIN_BASELINE, PRIOR_WEIGHT, LEARN_CLIP, type VoiceSample } from './voice.js';
export { fuse, NEG, POS, HIGH_AROUSAL, SHOUT_AROUSAL, SEVERITY, CUE_CATEGORIES, GRIEVANCE_CATEGORIES, type Cues, type Fused } from './fusion.js';
export { toneOf, ANGER_CUES, WEARY_CUES, type Tone } from './tone.js';
export { CategoryCues } from './cues.js';
export { Trajectory, endsNegative, startLabel, endLabel, type EmotionPoint, type EmotionTrajectory } from './trajectory.js';
export { loadSer, SER_FEATURES, SER_LABELS, SerModelError, type SerModel, type SerInput, type SerOutput, type SerProvider } from './ser.js';
