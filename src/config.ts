// The configuration module's public face. The variables, their schemas, defaults and docs are one
// table (config/variables.ts); config/load.ts turns an environment into a fully populated config.
// Imports only src/core and src/adapters (never src/http or src/playback).
export type { CacheConfig, EmbeddedConfig, LoadedConfig, LogLevel, ServiceConfig, SigningMode } from './config/types.js';
export {
  catalogDatabaseUrl,
  ConfigError,
  embeddedDefaults,
  loadConfig,
  pemFromEnvText,
  privateKeyFromEnv,
  readVariables,
  type Environment,
  type PrivateKeyText,
  type ReadFile,
} from './config/load.js';
export { describeConfig } from './config/describe.js';
export { VARIABLES, VARIABLE_NAMES, shownDefault, type Applies, type Variable, type VariableName } from './config/variables.js';
