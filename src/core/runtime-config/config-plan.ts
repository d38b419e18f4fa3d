import { applyConfigUpdate, restartOnlyPaths } from '../config/config-update.js';
import type { Config } from '../config/schema.js';
import { PicamError } from '../errors.js';

export interface ConfigPlan {
  /** The config after the updates. */
  next: Config;
  /** The updated paths whose value really changes, in request order. */
  changed: string[];
}

/** Paths a remote caller may change only when the config file says so: where picam writes, and retention deletes. */
const GUARDED = ['export.base_dir', 'export.allow_runtime_base_dir'];

/**
 * What a Configure request would do to `current`, with nothing applied: the
 * updates validated by the start-up schema, then refused when they change a
 * value only a restart can change, or a guarded one the file does not open.
 * Pure, so every refusal is tested without a service.
 */
export function planConfigure(current: Config, updates: ReadonlyMap<string, unknown>): ConfigPlan {
  const next = applyConfigUpdate(current, updates);
  const changedMap = new Map([...updates].filter(([p]) => JSON.stringify(read(next, p)) !== JSON.stringify(read(current, p))));
  const fixed = restartOnlyPaths(changedMap);
  if (fixed.length > 0) {
    throw new PicamError('FAILED_PRECONDITION', `${fixed.join(', ')}: only a restart can change this`, { field: fixed[0] });
  }
  const guarded = GUARDED.filter((p) => changedMap.has(p));
  if (guarded.length > 0 && !current.export.allow_runtime_base_dir) {
    throw new PicamError('FAILED_PRECONDITION', `${guarded.join(', ')}: set export.allow_runtime_base_dir in the config file to change this at run time`, {
      field: guarded[0],
    });
  }
  return { next, changed: [...changedMap.keys()] };
}

function read(config: Config, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);
}
