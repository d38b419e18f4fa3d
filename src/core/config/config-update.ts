import { invalidField, PicamError } from '../errors.js';
import { ConfigError, parseConfig } from './load-config.js';
import type { Config } from './schema.js';

/**
 * Paths whose new values the running service picks up. Anything else (ports,
 * resolution, ring size) is fixed by allocations and sockets made at start.
 */
const RUNTIME_PREFIXES = ['night.', 'export.', 'logging.'];
/** Single fields of otherwise fixed sections that the running service follows too. */
const RUNTIME_FIELDS = new Set(['mqtt.discovery', 'mqtt.discovery_prefix', 'mqtt.snapshot_interval_s', 'mqtt.state_interval_s']);

export function isRuntimePath(path: string): boolean {
  return RUNTIME_FIELDS.has(path) || RUNTIME_PREFIXES.some((prefix) => path.startsWith(prefix));
}

const SECTIONS = new Set(['camera', 'ring', 'night', 'export', 'network', 'logging', 'mqtt']);

/**
 * Applies `updates` (dotted path -> value; undefined resets to the default) to
 * `current` and validates the result with the same schema as start-up, so a
 * bad value gets the same message either way.
 */
export function applyConfigUpdate(current: Config, updates: ReadonlyMap<string, unknown>): Config {
  const next = structuredClone(current) as Record<string, Record<string, unknown>>;
  for (const [path, value] of updates) {
    const parts = path.split('.');
    const [section, key] = parts;
    if (parts.length !== 2 || section === undefined || key === undefined || !SECTIONS.has(section)) {
      throw invalidField('update_mask', 'paths like "night.dark_threshold"', path);
    }
    const target = next[section];
    if (target === undefined || !(key in target)) {
      throw new PicamError('INVALID_ARGUMENT', `${path}: unknown field`, { field: path });
    }
    if (value === undefined) delete target[key];
    else target[key] = value;
  }
  try {
    return parseConfig(next, 'update');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Callers of Configure get the bare field messages, without the file preamble.
    throw new PicamError('INVALID_ARGUMENT', error.issues.map((issue) => issue.message).join('; '), { field: error.field });
  }
}

/** Paths in `updates` that need a restart; the caller refuses the update if any. */
export function restartOnlyPaths(updates: ReadonlyMap<string, unknown>): string[] {
  return [...updates.keys()].filter((path) => !isRuntimePath(path));
}
