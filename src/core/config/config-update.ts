import { invalidField, PicamError, unknownField } from '../errors.js';
import { ConfigError, parseConfig } from './load-config.js';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

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

/**
 * The fields of each config section, read from the schema itself. Paths are
 * checked against these own keys, never with `in` on a config object: that
 * would let `night.__proto__`, `night.constructor` or `export.toString`
 * through as "fields" (and into the persisted file).
 */
const FIELDS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries(configSchema.shape).map(([section, schema]) => [section, new Set(objectKeys(schema as z.ZodType) ?? [])]),
);

/** The keys of the object schema inside wrappers (prefault, preprocess, refine, transform). */
function objectKeys(schema: z.ZodType): string[] | undefined {
  const def = schema._zod.def as unknown as { type: string; shape?: Record<string, unknown>; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType };
  switch (def.type) {
    case 'object':
      return Object.keys(def.shape ?? {});
    case 'prefault':
    case 'default':
    case 'optional':
      return def.innerType ? objectKeys(def.innerType) : undefined;
    case 'pipe':
      return (def.in && objectKeys(def.in)) ?? (def.out && objectKeys(def.out));
    default:
      return undefined;
  }
}

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
    // A Map, not an object: `__proto__` is no section.
    const fields = section === undefined ? undefined : FIELDS.get(section);
    if (parts.length !== 2 || key === undefined || fields === undefined) {
      throw invalidField('update_mask', 'paths like "night.dark_threshold"', path);
    }
    const target = next[section!];
    if (target === undefined || !fields.has(key)) {
      throw unknownField(path);
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
