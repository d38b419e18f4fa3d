import type { Clips } from './clips.js';
import type { Profile, Size } from './options.js';
import type { Report } from './report.js';
import type { Scenes } from './scene.js';

/** What every section gets: what to measure, where figures go, shared clips and scenes. */
export interface BenchContext {
  profile: Profile;
  report: Report;
  clips: Clips;
  /** The camera-like scene's frames, one file per size. */
  scenes: Scenes;
}

export function sizeLabel([width, height]: Size): string {
  return `${width}x${height}`;
}

/** Calls `measure` `runs` times one after another and returns every result. */
export async function repeat<T>(runs: number, measure: (run: number) => Promise<T> | T): Promise<T[]> {
  const results: T[] = [];
  for (let run = 0; run < runs; run++) results.push(await measure(run));
  return results;
}
