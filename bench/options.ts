import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../test/helpers/service.js';

export type Mode = 'default' | 'quick' | 'soak';

export const SECTIONS = ['reference', 'ingest', 'memory', 'export', 'trigger', 'stream', 'slowlink', 'preroll', 'soak'] as const;
export type Section = (typeof SECTIONS)[number];

export type Size = readonly [width: number, height: number];

/**
 * How much of everything one mode measures. The default is sized to finish
 * in under 10 minutes on 2 cores; quick only proves every section still
 * works (one small size, one run each, short windows), in about 1.5 minutes.
 */
export interface Profile {
  mode: Mode;
  sections: Section[];
  sizes: Size[];
  /** Runs (or measuring windows) behind every median. */
  runs: number;
  /**
   * Every case of every table; quick runs one case per code path instead
   * (each source kind once, each stream shape once) to stay short.
   */
  everyCase: boolean;
  /** Seconds per measuring window where a rate is counted over time. */
  windowS: number;
  /** Seconds a fresh service runs before anything is measured. */
  settleS: number;
  /** Frames the in-memory ingest and encoder loops run per run. */
  loopFrames: number;
  encoderSeconds: number;
  pipeFrames: number;
  /** Frames per format the Python reference writes per run. */
  referenceExportFrames: number;
  rssSeconds: number;
  trigger: { beforeS: number; afterS: number };
  exportBeforeS: number;
  longExport: { size: Size; beforeS: number; afterS: number };
  /** Stream windows stay at least 2 s in the default run: one frame more or less is then 0.5 frames/s. */
  stream: { size: Size; warmupS: number; windowS: number };
  soak: { size: Size; seconds: number; warmupS: number; triggerEveryS: number; sampleEveryS: number };
  jsonFile: string;
}

const USAGE = `usage: node dist/bench/bench.js [--quick] [--soak] [--soak-seconds N] [--json PATH]
  (none)       every table at 1280x720 and 1920x1080, medians of 3 (under 10 minutes on 2 cores)
  --quick      every section once at 320x240 with short windows (~1.5 minutes): proves the bench works
  --soak       RSS over a 5-minute soak with a trigger every 10 s and one stream subscriber, then the seed's service for as long
  --json PATH  where the JSON goes (default bench/results/latest.json)
  BENCH_ONLY=reference|ingest|memory|export|trigger|stream|slowlink|preroll|soak (comma list) picks sections.
  BENCH_SIZES=1920x1080[,1280x720] picks the sizes of the default run.`;

export class UsageError extends Error {}

export function parseProfile(argv: readonly string[], env: NodeJS.ProcessEnv): Profile {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean', default: false },
        soak: { type: 'boolean', default: false },
        'soak-seconds': { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  if (parsed.help) throw new UsageError(USAGE);
  const quick = parsed.quick === true;
  const mode: Mode = parsed.soak ? 'soak' : quick ? 'quick' : 'default';
  const sections = pickSections(mode, env.BENCH_ONLY);
  const soakSeconds = parsed['soak-seconds'] !== undefined ? Number(parsed['soak-seconds']) : quick ? 30 : 300;
  if (!Number.isFinite(soakSeconds) || soakSeconds < 10) throw new UsageError(`--soak-seconds: expected a number >= 10, received ${parsed['soak-seconds']}\n${USAGE}`);
  const jsonFile = parsed.json !== undefined ? path.resolve(parsed.json) : path.join(ROOT, 'bench/results/latest.json');
  const small: Size = [320, 240];
  const hd: Size = [1920, 1080];
  const soak = { size: quick ? small : hd, seconds: soakSeconds, warmupS: Math.min(60, soakSeconds / 5), triggerEveryS: 10, sampleEveryS: quick ? 2 : 5 };
  if (quick) {
    return {
      mode, sections, jsonFile, soak,
      sizes: [small], runs: 1, everyCase: false, windowS: 1, settleS: 0.5,
      loopFrames: 30, encoderSeconds: 0.5, pipeFrames: 60, referenceExportFrames: 5,
      rssSeconds: 3,
      trigger: { beforeS: 0.5, afterS: 0.5 },
      exportBeforeS: 0.5,
      longExport: { size: small, beforeS: 1, afterS: 1 },
      stream: { size: small, warmupS: 0.5, windowS: 1 },
    };
  }
  return {
    mode, sections, jsonFile, soak,
    sizes: pickSizes(env.BENCH_SIZES) ?? [[1280, 720], hd], runs: 3, everyCase: true, windowS: 1.5, settleS: 1,
    loopFrames: 200, encoderSeconds: 1.5, pipeFrames: 150, referenceExportFrames: 20,
    rssSeconds: 60,
    trigger: { beforeS: 2, afterS: 2 },
    exportBeforeS: 1.5,
    longExport: { size: hd, beforeS: 5, afterS: 5 },
    stream: { size: hd, warmupS: 1.5, windowS: 2 },
  };
}

/** BENCH_SIZES=1920x1080[,1280x720]: only those sizes (default mode). */
function pickSizes(only: string | undefined): Size[] | undefined {
  if (only === undefined || only.trim() === '') return undefined;
  return only.split(',').map((item) => {
    const match = /^\s*(\d+)x(\d+)\s*$/.exec(item);
    if (!match) throw new UsageError(`BENCH_SIZES: expected WIDTHxHEIGHT[,WIDTHxHEIGHT], received ${only}\n${USAGE}`);
    return [Number(match[1]), Number(match[2])] as const;
  });
}

function pickSections(mode: Mode, only: string | undefined): Section[] {
  if (only !== undefined && only.trim() !== '') {
    const picked = only.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const unknown = picked.filter((s) => !(SECTIONS as readonly string[]).includes(s));
    if (unknown.length > 0) throw new UsageError(`BENCH_ONLY: unknown section ${unknown.join(', ')}; expected ${SECTIONS.join('|')}\n${USAGE}`);
    return picked as Section[];
  }
  if (mode === 'soak') return ['soak'];
  // preroll fills a minute-long ring five times (~6 min): asked for by name only.
  return SECTIONS.filter((s) => s !== 'soak' && s !== 'preroll');
}
