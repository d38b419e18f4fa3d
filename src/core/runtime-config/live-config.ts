import path from 'node:path';
import type { Config } from '../config/schema.js';

/** The config in force, shared by the parts that read it at use (Configure replaces it). */
export class LiveConfig {
  constructor(
    public current: Config,
    /** Config file to persist to; relative paths in the config resolve against its folder. */
    readonly file: string,
  ) {}

  /** Where events are written, resolved against the config file's folder. */
  baseDir(): string {
    return path.resolve(path.dirname(this.file), this.current.export.base_dir);
  }
}
