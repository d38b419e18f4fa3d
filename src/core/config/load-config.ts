import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PicamError } from '../errors.js';
import { formatIssues, type ConfigIssue } from './format-issues.js';
import { configSchema, type Config } from './schema.js';

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file read, or undefined when defaults were used. */
  file: string | undefined;
  /** Folder that relative paths in the config resolve against. */
  baseFolder: string;
}

export class ConfigError extends PicamError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], source: string) {
    super('INVALID_ARGUMENT', `invalid config (${source}):\n  ${issues.map((i) => i.message).join('\n  ')}`, {
      field: issues[0]?.field,
    });
    this.issues = issues;
  }
}

/** Validates a parsed config object; throws ConfigError listing every bad field. */
export function parseConfig(raw: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues), source);
  return result.data;
}

/**
 * Reads and validates a config file. A missing file is an error only when the
 * caller named it; otherwise the service runs on defaults.
 */
export async function loadConfig(file: string, explicit: boolean): Promise<LoadedConfig> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) {
      return { config: parseConfig({}), file: undefined, baseFolder: process.cwd() };
    }
    throw new PicamError('FAILED_PRECONDITION', `cannot read config ${absolute}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([{ field: '(root)', message: `(root): expected JSON, ${(error as Error).message}` }], absolute);
  }
  return { config: parseConfig(raw, absolute), file: absolute, baseFolder: path.dirname(absolute) };
}
