import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sizeLabel, type BenchContext } from './context.js';
import { rssBudgetMb, snap } from './memory.js';
import { sleep, type ProcSample } from './proc.js';
import { progress, type Report } from './report.js';
import { sceneCamera, SCENE_FILTER, SCENE_FRAMES } from './scene.js';
import { startSeedService, type SeedEvent } from './seed-service.js';
import { benchService } from './service.js';
import { slope } from './stats.js';
import { runSubscribers } from './stream-python.js';
import { ensureClientVenv, ensureReferenceVenv, requireFfmpeg } from './tools.js';

const RING_S = 3;
const FPS = 30;
const WINDOW = { beforeS: 2, afterS: 2 };

interface RssSeries {
  samples: Array<{ t: number; rssMb: number }>;
}

/**
 * Samples RSS every `sampleEveryS` from `startWallMs` for `seconds`,
 * triggering every `triggerEveryS`; returns the samples and every trigger's
 * promise (awaited by the caller once the run is over).
 */
async function sampleWithTriggers<T>(startWallMs: number, seconds: number, sampleEveryS: number, triggerEveryS: number, sample: () => Promise<ProcSample>, trigger: () => Promise<T>): Promise<RssSeries & { triggers: Array<Promise<T>> }> {
  const samples: Array<{ t: number; rssMb: number }> = [];
  const triggers: Array<Promise<T>> = [];
  let nextTrigger = 0;
  for (let t = 0; t <= seconds; t += sampleEveryS) {
    await sleep(Math.max(0, startWallMs + t * 1000 - Date.now()));
    if (t >= nextTrigger && t < seconds) {
      const triggered = trigger();
      triggered.catch(() => undefined); // awaited by the caller; a failure must not surface as unhandled meanwhile
      triggers.push(triggered);
      nextTrigger += triggerEveryS;
    }
    samples.push({ t, rssMb: (await sample()).rssMb });
    if (t % 60 === 0 && t > 0) progress(`soak ${t} s, RSS ${samples[samples.length - 1]!.rssMb.toFixed(0)} MB`);
  }
  return { samples, triggers };
}

/** Start, end, growth and slope after the warm-up, as figures under `key`. */
function recordSeries(report: Report, key: string, { samples }: RssSeries, warmupS: number): { first: number; last: number; slopePerMin: number; peak: number } {
  const settled = samples.filter((x) => x.t >= warmupS);
  const first = settled[0]!.rssMb;
  const last = settled[settled.length - 1]!.rssMb;
  const slopePerMin = slope(settled.map((x) => x.t / 60), settled.map((x) => x.rssMb));
  const peak = Math.max(...samples.map((x) => x.rssMb));
  report.figure(`${key}.rss_mb`, 'MB', settled.map((x) => x.rssMb));
  report.figure(`${key}.rss_start_mb`, 'MB', [first]);
  report.figure(`${key}.rss_end_mb`, 'MB', [last]);
  report.figure(`${key}.growth_mb`, 'MB', [last - first]);
  report.figure(`${key}.slope_mb_per_min`, 'MB/min', [slopePerMin]);
  report.figure(`${key}.rss_peak_mb`, 'MB', [peak]);
  return { first, last, slopePerMin, peak };
}

/**
 * RSS over a long run with the service doing everything at once on the
 * camera-like scene (fake rpicam-vid, I420 as on a Pi): capture, a jpg
 * trigger every 10 s (2 s + 2 s window) and one Python subscriber streaming
 * JPEG throughout. After the warm-up (ring pages, sharp's pools, V8's heap
 * settling) RSS should stay flat: the slope is a least-squares fit over the
 * samples after it. Then the seed's service (bench/reference/seed_service.py)
 * for as long on the same frames with the same triggers; it has no stream
 * to subscribe to. No flat-scene row: RSS growth does not depend on content,
 * and a second soak would double the run.
 */
export async function soak({ profile, report, scenes }: BenchContext): Promise<void> {
  requireFfmpeg();
  ensureClientVenv();
  ensureReferenceVenv();
  const { size, seconds, warmupS, triggerEveryS, sampleEveryS } = profile.soak;
  const s = sizeLabel(size);
  const scene = await scenes.get(size);
  const { camera, options } = sceneCamera(scene, FPS);
  const bench = await benchService({ camera, ring: { seconds: RING_S }, export: { save_before_s: WINDOW.beforeS, save_after_s: WINDOW.afterS, formats: ['jpg'] } }, options);
  let picam: RssSeries & { triggers: Array<Promise<string>> } = { samples: [], triggers: [] };
  let states: string[];
  let payloadMb: number;
  try {
    await sleep(profile.settleS * 1000);
    progress(`soak ${s} for ${seconds} s (a trigger every ${triggerEveryS} s, one JPEG subscriber)`);
    const [stream] = await runSubscribers(bench.service.grpcAddress, [{ encoding: 'jpeg' }], { windows: 1, windowS: seconds, warmupS: 0 }, async (startWallMs) => {
      picam = await sampleWithTriggers(startWallMs, seconds, sampleEveryS, triggerEveryS, () => bench.sample(), async () => {
        const reply = await snap(bench.service.linePort);
        if (!reply.startsWith('OK ')) throw new Error(`SNAP during the soak answered ${reply}`);
        return reply.split(' ')[2]!;
      });
    });
    const dirs = await Promise.all(picam.triggers);
    // The last trigger's after-window and export may still be running.
    await sleep((WINDOW.afterS + 3) * 1000);
    states = await Promise.all(dirs.map((dir) => readFile(path.join(dir, 'event.json'), 'utf8').then((text) => (JSON.parse(text) as { state: string }).state, () => 'missing')));
    payloadMb = Number((await bench.camera.getStatus({})).ring?.payloadBytes ?? 0n) / 2 ** 20;
    report.figure(`soak.${s}.payload_mb`, 'MB', [payloadMb]);
    report.figure(`soak.${s}.stream_fps`, 'frames/s', [stream ? stream.frames[0]! / stream.window_s : Number.NaN]);
    report.figure(`soak.${s}.events_complete`, 'events', [states.filter((x) => x === 'complete').length]);
  } finally {
    await bench.stop();
  }
  const ours = recordSeries(report, `soak.${s}`, picam, warmupS);
  report.info.soakSamples = picam.samples;

  progress(`soak ${s}: the seed's service for ${seconds} s (a trigger every ${triggerEveryS} s)`);
  const ringFrames = RING_S * FPS;
  const seedService = await startSeedService(scene, { fps: FPS, ringFrames, formats: 'jpg', ...WINDOW });
  let seed: RssSeries & { triggers: Array<Promise<SeedEvent>> };
  let seedEvents: SeedEvent[];
  try {
    await sleep(profile.settleS * 1000);
    seed = await sampleWithTriggers(Date.now(), seconds, sampleEveryS, triggerEveryS, () => seedService.sample(), () => seedService.snap());
    seedEvents = await Promise.all(seed.triggers);
  } finally {
    await seedService.stop();
  }
  const seedPayloadMb = (ringFrames * size[0] * size[1] * 3) / 2 ** 20;
  report.figure(`soak.seed.${s}.payload_mb`, 'MB', [seedPayloadMb]);
  const theirs = recordSeries(report, `soak.seed.${s}`, seed, warmupS);
  report.info.soakSeedSamples = seed.samples;

  report.heading(`Soak (${s} at ${FPS} frames/s, ring ${RING_S} s, ${seconds} s, a jpg SNAP (${WINDOW.beforeS} s + ${WINDOW.afterS} s) every ${triggerEveryS} s; picam with one Python JPEG subscriber; camera-like scene, seed on the same frames)`);
  report.line(`picam: the fake rpicam-vid replaying ffmpeg testsrc2 + \`${SCENE_FILTER}\` (${SCENE_FRAMES} frames, full-range yuv420p). seed: bench/reference/seed_service.py, the seed manual's service loop (deque of ${ringFrames} RGB frames, cv2.imwrite) on the same frames, for as long, right after; it has no stream to subscribe to (stream column '-'), so picam carries one more load than it. RSS sampled every ${sampleEveryS} s; start is the first sample after ${warmupS.toFixed(0)} s of warm-up, the slope a least-squares fit over the samples after it. picam events: ${states.length} triggered, ${states.filter((x) => x === 'complete').length} complete (${[...new Set(states)].join(', ')}); seed events: ${seedEvents.length} triggered, ${seedEvents.filter((e) => e.frames > 0).length} wrote files. The budget is picam's target.`);
  report.line();
  const cells = (r: typeof ours, payload: number): string[] => [payload.toFixed(0), r.first.toFixed(0), r.last.toFixed(0), (r.last - r.first).toFixed(1), r.slopePerMin.toFixed(2), r.peak.toFixed(0)];
  report.table(['run', 'ring payload MB', 'RSS start MB', 'RSS end MB', 'growth MB', 'slope MB/min', 'peak MB', 'peak / seed peak', 'budget MB', 'stream frames/s'], [
    ['picam, yuv420 ring', ...cells(ours, payloadMb), `${(ours.peak / theirs.peak).toFixed(2)}x`, rssBudgetMb(payloadMb).toFixed(0), report.cell(`soak.${s}.stream_fps`, 1)],
    [`seed, RGB deque`, ...cells(theirs, seedPayloadMb), '1x', '-', '-'],
  ]);
}
