export { ConfigSchema, type Config } from './schema.js';
export { loadConfig, validateConfig, ConfigError, envNames, type LoadOptions } from './load.js';
