import { LineClient } from '../test/helpers/sockets.js';
import { sizeLabel, type BenchContext } from './context.js';
import type { Size } from './options.js';
import { sleep, type ProcSample } from './proc.js';
import { progress } from './report.js';
import { sceneCamera, SCENE_FILTER, SCENE_FRAMES } from './scene.js';
import { startSeedService } from './seed-service.js';
import { benchService } from './service.js';
import { ensureReferenceVenv, requireFfmpeg } from './tools.js';

/** RSS budget of the issue's target: the ring's payload plus a fixed allowance for the rest. */
export function rssBudgetMb(payloadMb: number): number {
  return 1.15 * payloadMb + 120;
}

/** Sends one SNAP over the line protocol and returns the reply line. */
export async function snap(linePort: number, command = 'SNAP'): Promise<string> {
  const client = await LineClient.connect(linePort);
  try {
    return await client.command(command);
  } finally {
    client.destroy();
  }
}

const RING_S = 5;
const FPS = 30;
const TRIGGER_EVERY_S = 10;
/** The window of every trigger in this section, picam's and the seed's alike. */
const WINDOW = { beforeS: 1, afterS: 1 };

/**
 * Samples RSS every few seconds for `seconds`, triggering every 10 s;
 * returns the samples over the last third, so one sample taken mid-export
 * does not decide the figure.
 */
async function rssRun(seconds: number, every: number, sample: () => Promise<ProcSample>, trigger: () => Promise<void>): Promise<number[]> {
  const samples: Array<{ t: number; rssMb: number }> = [];
  const t0 = performance.now();
  let nextTrigger = 0;
  const pending: Array<Promise<void>> = [];
  for (let t = 0; t <= seconds; t += every) {
    await sleep(Math.max(0, t0 + t * 1000 - performance.now()));
    if (t >= nextTrigger) {
      const triggered = trigger();
      triggered.catch(() => undefined); // awaited below; a failure must not surface as unhandled meanwhile
      pending.push(triggered);
      nextTrigger += TRIGGER_EVERY_S;
    }
    samples.push({ t, rssMb: (await sample()).rssMb });
  }
  await Promise.all(pending);
  return samples.filter((x) => x.t >= (seconds * 2) / 3).map((x) => x.rssMb);
}

/**
 * RSS after a minute of capture at the largest size with a 5 s ring and a
 * small jpg trigger every 10 s, against the ring's payload: picam on the
 * camera-like scene (fake rpicam-vid, I420 as on a Pi), the seed's service
 * (bench/reference/seed_service.py) holding the same 5 s of the same frames
 * as RGB in its deque, and picam on the flat synthetic scene (rgb24) as a
 * labelled extra row.
 */
export async function ringMemory({ profile, report, scenes }: BenchContext): Promise<void> {
  requireFfmpeg();
  ensureReferenceVenv();
  const size: Size = profile.sizes[profile.sizes.length - 1]!;
  const s = sizeLabel(size);
  const every = profile.mode === 'quick' ? 1 : 5;
  const exportConfig = { save_before_s: WINDOW.beforeS, save_after_s: WINDOW.afterS, formats: ['jpg'] };
  const scene = await scenes.get(size);
  const picamRun = async (key: string, label: string, camera: Record<string, unknown>, options = {}): Promise<void> => {
    progress(`memory ${s} ${label}, ${profile.rssSeconds} s`);
    const bench = await benchService({ camera, ring: { seconds: RING_S }, export: exportConfig }, options);
    try {
      const tail = await rssRun(profile.rssSeconds, every, () => bench.sample(), async () => {
        const reply = await snap(bench.service.linePort);
        if (!reply.startsWith('OK ')) throw new Error(`SNAP during the memory run answered ${reply}`);
      });
      const payloadMb = Number((await bench.camera.getStatus({})).ring?.payloadBytes ?? 0n) / 2 ** 20;
      report.figure(`${key}.rss_mb`, 'MB', tail);
      report.figure(`${key}.payload_mb`, 'MB', [payloadMb]);
      report.figure(`${key}.rss_over_payload`, 'ratio', tail.map((x) => x / payloadMb));
      report.figure(`${key}.budget_mb`, 'MB', [rssBudgetMb(payloadMb)]);
    } finally {
      await bench.stop();
    }
  };
  const { camera, options } = sceneCamera(scene, FPS);
  await picamRun(`memory.${s}`, 'camera-like scene, yuv420', camera, options);
  progress(`memory ${s} the seed's service, ${profile.rssSeconds} s`);
  const ringFrames = RING_S * FPS;
  const seed = await startSeedService(scene, { fps: FPS, ringFrames, formats: 'jpg', ...WINDOW });
  try {
    const tail = await rssRun(profile.rssSeconds, every, () => seed.sample(), async () => void (await seed.snap()));
    const payloadMb = (ringFrames * size[0] * size[1] * 3) / 2 ** 20;
    report.figure(`memory.seed.${s}.rss_mb`, 'MB', tail);
    report.figure(`memory.seed.${s}.payload_mb`, 'MB', [payloadMb]);
    report.figure(`memory.seed.${s}.rss_over_payload`, 'ratio', tail.map((x) => x / payloadMb));
  } finally {
    await seed.stop();
  }
  if (profile.everyCase) await picamRun(`memory.flat.${s}`, 'flat synthetic scene, rgb24', { source: 'synthetic', width: size[0], height: size[1], framerate: FPS });
  const ours = report.get(`memory.${s}.rss_mb`)!;
  const theirs = report.get(`memory.seed.${s}.rss_mb`)!;
  const row = (key: string, label: string, seedCell: string): string[] => {
    const rss = report.get(`${key}.rss_mb`);
    const budget = report.get(`${key}.budget_mb`);
    const verdict = !rss ? '' : !budget ? '-' : rss.max <= budget.median ? 'within budget' : 'OVER budget';
    return [label, report.cell(`${key}.payload_mb`, 0), report.cell(`${key}.rss_mb`, 0), report.cell(`${key}.rss_over_payload`, 2), seedCell, budget ? budget.median.toFixed(0) : '-', verdict];
  };
  const rows = [
    row(`memory.${s}`, `picam, camera-like scene, yuv420 ring`, `${(ours.median / theirs.median).toFixed(2)}x`),
    row(`memory.seed.${s}`, `seed, same frames as RGB (its \`codec: 'rgb'\`), deque of ${ringFrames} frames`, '1x'),
  ];
  if (report.get(`memory.flat.${s}.rss_mb`)) rows.push(row(`memory.flat.${s}`, 'picam, flat synthetic scene, rgb24 ring (extra row)', `${(report.get(`memory.flat.${s}.rss_mb`)!.median / theirs.median).toFixed(2)}x`));
  report.heading(`Resident memory against the ring (${s}, ring ${RING_S} s at ${FPS} frames/s, a jpg trigger (${WINDOW.beforeS} s + ${WINDOW.afterS} s) every ${TRIGGER_EVERY_S} s, after ${profile.rssSeconds} s; camera-like scene, seed on the same frames)`);
  report.line(`RSS is the median of the samples over the last third of each run, (min–max), sampled every ${every} s. picam: the fake rpicam-vid replaying ffmpeg testsrc2 + \`${SCENE_FILTER}\` (${SCENE_FRAMES} frames, full-range yuv420p); its ring keeps the camera's I420, payload as GetStatus reports it. seed: bench/reference/seed_service.py, the seed manual's service loop (capture thread, deque ring of ${RING_S} s, trigger port, cv2.imwrite) on the same frames as RGB, each read into a fresh array as picamera2 hands one over, payload = ${ringFrames} RGB frames; the budget is picam's target, not the seed's. The flat row is the synthetic source (rgb24), the figure earlier runs printed.`);
  report.line();
  report.table(['run', 'ring payload MB', 'RSS MB', 'RSS / payload', 'RSS / seed RSS', 'budget 1.15 x payload + 120 MB', 'verdict'], rows);
}
