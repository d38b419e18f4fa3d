import { repeat, sizeLabel, type BenchContext } from './context.js';
import { snapWithCapture, warmUpExport, type CaptureDuringExport } from './event-watch.js';
import type { Size } from './options.js';
import { sleep } from './proc.js';
import { progress, type Report } from './report.js';
import { sceneCamera, SCENE_FILTER, SCENE_FRAMES, type Scene } from './scene.js';
import { startSeedService } from './seed-service.js';
import { benchService, type BenchService } from './service.js';
import { ensureReferenceVenv, requireFfmpeg } from './tools.js';

export const FORMAT_SETS = ['jpg', 'png', 'npy', 'jpg,png,npy'] as const;
const ASKED_FPS = 30;
/** The flat scene's one extra row: the heaviest set, the one the first-file target hinges on. */
const FLAT_SET = 'jpg,png,npy';

export function recordCapture(report: Report, key: string, runs: CaptureDuringExport[]): void {
  report.figure(`${key}.lost`, 'frames', runs.map((r) => r.lost));
  report.figure(`${key}.dropped`, 'frames', runs.map((r) => r.dropped));
  report.figure(`${key}.capture_fps`, 'frames/s', runs.map((r) => r.captureFps));
  report.figure(`${key}.fps_before`, 'frames/s', runs.map((r) => r.fpsBefore));
  report.figure(`${key}.fps_after`, 'frames/s', runs.map((r) => r.fpsAfter));
}

const setId = (set: string): string => set.replaceAll(',', '+');

/**
 * Trigger latency per format set with the issue's 2 s before + 2 s after
 * window, on the camera-like scene (fake rpicam-vid, full-range I420 at 30
 * frames/s, scene.ts), and capture while it exports; beside each row the
 * seed's own service (bench/reference/seed_service.py) on the same frames,
 * same window, same run. The flat synthetic scene stays as one labelled row
 * at the largest size. Then one long export (5 s + 5 s in all three formats
 * at the largest size), on the scene.
 */
export async function triggerLatency({ profile, report, scenes }: BenchContext): Promise<void> {
  requireFfmpeg();
  ensureReferenceVenv();
  const { beforeS, afterS } = profile.trigger;
  const long = profile.longExport;
  const rows: TriggerRow[] = [];
  const largest = profile.sizes[profile.sizes.length - 1]!;
  for (const size of profile.sizes) {
    const s = sizeLabel(size);
    const scene = await scenes.get(size);
    const holdsLong = sizeLabel(long.size) === s;
    // The long export writes slower than capture at 1080p: 3 s of headroom keeps its oldest frames from being overwritten.
    const ringS = Math.max(beforeS + 1, holdsLong ? long.beforeS + 3 : 0);
    const exportConfig = { save_before_s: beforeS, save_after_s: afterS };
    const { camera, options } = sceneCamera(scene, ASKED_FPS);
    const bench = await benchService({ camera, ring: { seconds: ringS }, export: exportConfig }, options);
    try {
      await sleep((beforeS + profile.settleS) * 1000);
      await warmUpExport(bench.service.linePort);
      for (const set of FORMAT_SETS) rows.push(await measure(bench, { profile, report }, size, setId(set), setId(set), set));
      if (holdsLong) await longExport(bench, { profile, report }, size);
    } finally {
      await bench.stop();
    }
    for (const set of FORMAT_SETS) await measureSeed({ profile, report }, scene, set, ringS);
    if (sizeLabel(size) === sizeLabel(largest)) {
      const flat = await benchService({ camera: { source: 'synthetic', width: size[0], height: size[1], framerate: ASKED_FPS }, ring: { seconds: ringS }, export: exportConfig });
      try {
        await sleep((beforeS + profile.settleS) * 1000);
        await warmUpExport(flat.service.linePort);
        rows.push(await measure(flat, { profile, report }, size, `flat-${setId(FLAT_SET)}`, `${setId(FLAT_SET)}, flat synthetic scene (extra row)`, FLAT_SET));
      } finally {
        await flat.stop();
      }
    }
  }
  const cells = ({ s, id, label }: TriggerRow): string[] => {
    const key = `trigger.${id}.${s}`;
    // The flat row has no seed beside it: the seed runs on the camera-like frames only.
    const seedKey = `trigger.seed.${id}.${s}`;
    const seed = report.get(`${seedKey}.complete_ms`) ? (figure: string, digits: number) => report.cell(`${seedKey}.${figure}`, digits) : () => '-';
    const ours = report.get(`${key}.complete_ms`);
    const theirs = report.get(`${seedKey}.complete_ms`);
    const ratio = ours && theirs ? `${(ours.median / theirs.median).toFixed(2)}x` : '-';
    return [s, label, report.cell(`${key}.reply_ms`, 1), report.cell(`${key}.first_file_ms`, 0), seed('first_file_ms', 0), report.cell(`${key}.complete_ms`, 0), seed('complete_ms', 0), ratio,
      `${report.cell(`${key}.frames`, 0)} / ${seed('frames', 0)}`, `${report.cell(`${key}.capture_fps`, 1)} / ${seed('capture_fps', 1)}`, `${report.cell(`${key}.lost`, 0)} / ${seed('lost', 0)}`, report.cell(`${key}.dropped`, 0)];
  };
  report.heading(`Trigger (SNAP over TCP, ${beforeS} s before + ${afterS} s after; camera-like scene, fake rpicam-vid yuv420 at ${ASKED_FPS} frames/s; seed on the same frames)`);
  report.line(`Scene: ffmpeg testsrc2 + \`${SCENE_FILTER}\`, full-range yuv420p, ${SCENE_FRAMES} frames replayed in a loop. Medians of ${profile.runs} SNAP(s) per row after one unmeasured warm-up export, (min–max). Times are from SNAP sent: \`reply\` the OK line, \`first file\` the first frame file renamed into place (inotify), \`event.json\` the manifest, written last. Capture while the export ran: frames/s captured and frames lost against ${ASKED_FPS} frames/s; \`dropped\` the source's own counter.`);
  report.line(`seed = bench/reference/seed_service.py, the seed manual's service loop on the same frames as RGB (its \`codec: 'rgb'\`), same window, this run: a capture thread at ${ASKED_FPS} frames/s (fresh array, grey-mean dark score, FrameMetadata into a deque holding the whole window and a second more, since it takes the window from it only after the after-window), a trigger port taking SNAP with no reply; its manual says only that the window is saved, so it waits out the after-window, then writes the window's frames one after another (cv2.imwrite jpg q90 / png level 1, np.save; no temp names, no fsync, no manifest: its "complete" is the last file written). picam / seed < 1x: picam's event is complete sooner. The seed runs once for the sets with png (it takes 25-45 s a 1080p window there), as often as picam for the others. The seed's capture thread reads each frame from the scene file (page cache) into a fresh array; picam's frames come through the fake rpicam-vid (an ffmpeg process on the same 2 cores).`);
  report.line();
  report.table(['size', 'formats', 'reply ms', 'first file ms', 'seed first file ms', 'event.json ms', 'seed last file ms', 'picam / seed, complete', 'frames picam / seed', 'capture fps during picam / seed', 'frames lost picam / seed', 'dropped'], rows.map(cells));
  const key = `longexport.${sizeLabel(long.size)}`;
  if (report.get(`${key}.seconds`)) {
    report.heading(`Capture during a long export (camera-like scene, fake rpicam-vid yuv420 ${sizeLabel(long.size)} at ${ASKED_FPS} frames/s, SNAP before=${long.beforeS} after=${long.afterS}, jpg+png+npy)`);
    const longFrames = (long.beforeS + long.afterS) * ASKED_FPS;
    const seedAll = report.get(`trigger.seed.jpg+png+npy.${sizeLabel(long.size)}.complete_ms`);
    const seedFrames = report.get(`trigger.seed.jpg+png+npy.${sizeLabel(long.size)}.frames`);
    // The seed writes after the after-window: its write rate is frames over the time past it.
    const seedEstimate = seedAll && seedFrames ? ` ~${((longFrames * (seedAll.median - afterS * 1000)) / seedFrames.median / 1000 + long.afterS).toFixed(0)} s by its all-three rate in the trigger table, which also shows its capture during those formats` : '';
    report.line(`One run (it is about capture holding up for the whole export, not a median). seed: not run for this row (${longFrames} frames in three formats would take it${seedEstimate}).`);
    report.line();
    report.table(['frames written', 'seconds to event.json', 'state', 'capture fps during', 'frames lost', 'dropped'], [
      [report.cell(`${key}.frames`, 0), report.cell(`${key}.seconds`, 1), (report.info.longExportStates as string | undefined) ?? '', report.cell(`${key}.capture_fps`, 1), report.cell(`${key}.lost`, 0), report.cell(`${key}.dropped`, 0)],
    ]);
  }
}

interface TriggerRow {
  s: string;
  /** Figure id of the row (and of the seed's beside it). */
  id: string;
  label: string;
}

/** picam's runs of one format set, as figures. */
async function measure(bench: BenchService, { profile, report }: Pick<BenchContext, 'profile' | 'report'>, size: Size, id: string, label: string, set: string): Promise<TriggerRow> {
  const s = sizeLabel(size);
  progress(`trigger ${s} ${label}`);
  const key = `trigger.${id}.${s}`;
  const runs = await repeat(profile.runs, () => snapWithCapture(bench, `SNAP formats=${set}`));
  report.figure(`${key}.reply_ms`, 'ms', runs.map((r) => r.event.replyMs));
  report.figure(`${key}.first_file_ms`, 'ms', runs.map((r) => r.event.firstFileMs));
  report.figure(`${key}.complete_ms`, 'ms', runs.map((r) => r.event.completeMs));
  report.figure(`${key}.frames`, 'frames', runs.map((r) => r.event.manifest.frames.length));
  report.figure(`${key}.missing`, 'frames', runs.map((r) => r.event.manifest.missing.length));
  recordCapture(report, key, runs.map((r) => r.capture));
  return { s, id, label };
}

/** The seed's service on the same frames and window: a fresh process per format set (it has no command to change them). */
async function measureSeed({ profile, report }: Pick<BenchContext, 'profile' | 'report'>, scene: Scene, set: string, ringS: number): Promise<void> {
  const s = sizeLabel(scene.size);
  const { beforeS, afterS } = profile.trigger;
  progress(`trigger ${s} ${setId(set)}: the seed's service`);
  // The seed takes its frames from the ring only after the after-window, so its ring must hold the whole window (and a second more).
  const ringFrames = Math.round(Math.max(ringS, beforeS + afterS + 1) * ASKED_FPS);
  const seed = await startSeedService(scene, { fps: ASKED_FPS, ringFrames, formats: set, beforeS, afterS });
  try {
    await sleep((beforeS + profile.settleS) * 1000);
    // One run where png is written: the seed takes 25-45 s a 1080p window there, most of the section's time.
    const runs = await repeat(set.includes('png') ? 1 : profile.runs, () => seed.snap());
    const key = `trigger.seed.${setId(set)}.${s}`;
    report.figure(`${key}.first_file_ms`, 'ms', runs.map((r) => r.firstFileMs));
    report.figure(`${key}.complete_ms`, 'ms', runs.map((r) => r.completeMs));
    report.figure(`${key}.frames`, 'frames', runs.map((r) => r.frames));
    report.figure(`${key}.capture_fps`, 'frames/s', runs.map((r) => r.captureFps));
    report.figure(`${key}.lost`, 'frames', runs.map((r) => r.lost));
  } finally {
    await seed.stop();
  }
}

async function longExport(bench: BenchService, { profile, report }: Pick<BenchContext, 'profile' | 'report'>, size: Size): Promise<void> {
  const { beforeS, afterS } = profile.longExport;
  const key = `longexport.${sizeLabel(size)}`;
  progress(`long export ${sizeLabel(size)}`);
  // One run: at 1080p on the camera-like scene it takes half a minute, and what it shows is capture holding up throughout.
  const run = await snapWithCapture(bench, `SNAP before=${beforeS} after=${afterS} formats=jpg,png,npy`);
  report.figure(`${key}.frames`, 'frames', [run.event.manifest.frames.length]);
  report.figure(`${key}.seconds`, 's', [run.event.completeMs / 1000]);
  recordCapture(report, key, [run.capture]);
  report.info.longExportStates = `${run.event.manifest.state} (${run.event.manifest.missing.length} missing)`;
}
