import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { Config } from './schema.js';

/** The short forms the Python manual allows for whole sections, and the key they stand for. */
const SHORT_FORMS: Record<string, string> = { ring: 'frames', network: 'port', logging: 'level' };

/**
 * Writes `paths` of `config` into the config file, changing only those keys:
 * the rest of the file (its other values, its short forms, its key order)
 * stays as the user wrote it. The previous version is kept as `<file>.bak`
 * and the new one is written atomically, so a crash leaves one or the other.
 */
export async function persistConfig(file: string, config: Config, paths: readonly string[]): Promise<void> {
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await copyFile(file, `${file}.bak`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  for (const dotted of paths) {
    const [section = '', key = ''] = dotted.split('.');
    let target = raw[section];
    if (target === null || typeof target !== 'object') {
      // "network": 9999 becomes {"port": 9999} before another key is added to it.
      const shortKey = SHORT_FORMS[section];
      target = target === undefined || shortKey === undefined ? {} : { [shortKey]: target };
      raw[section] = target;
    }
    const value = (config as unknown as Record<string, Record<string, unknown>>)[section]?.[key];
    (target as Record<string, unknown>)[key] = value;
  }
  await writeFileAtomic(path.resolve(file), [Buffer.from(JSON.stringify(raw, null, 2) + '\n')]);
}
