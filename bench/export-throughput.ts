import { repeat, sizeLabel, type BenchContext } from './context.js';
import { snapWithCapture, warmUpExport } from './event-watch.js';
import type { Size } from './options.js';
import { cpuPercent, sleep } from './proc.js';
import { DURABLE_NPY_SET, REFERENCE_SETS, runPythonReference, type ReferenceSet } from './python-reference.js';
import { diskRate, type DiskMode } from './disk-bytes.js';
import { encoderCeiling } from './reference-ceilings.js';
import { progress } from './report.js';
import { sceneCamera, SCENE_FILTER } from './scene.js';
import { measureStacking } from './stacking.js';
import { recordCapture } from './trigger-latency.js';
import { benchService, type BenchService } from './service.js';
import type { ConfigOverrides, StartOptions } from '../test/helpers/service.js';
import { ensureReferenceVenv, requireFfmpeg } from './tools.js';

const EXPORT_SETS = ['jpg', 'png', 'npy', 'jpg,png,npy', 'mp4'] as const;
/** Figure ids of the table's rows, for the targets. */
export const EXPORT_ROWS = [...EXPORT_SETS.map((set) => set.replaceAll(',', '+')), 'npy-durable-seed', 'jpg-sharp', 'yuv-noise-jpg', 'flat-jpg', 'dark-jpg', 'dark-jpg-stack'];

/**
 * Export throughput on the camera-like scene (scene.ts: testsrc2 + sensor
 * noise, full-range I420 from the fake rpicam-vid at 30 fps, the Pi's default
 * path): SNAP with an after-window of 0, so every frame is already in the ring
 * and the export runs as fast as it can while capture goes on. Beside each row
 * the seed's own export loop (bench/reference, cv2.imwrite / np.save, one
 * thread) on the very same frames, and sharp's encoder ceiling on them, all in
 * this run. The flat synthetic scene stays as one labelled extra row, and the
 * dark rows (stacking) run on the synthetic source, whose exposure is settable.
 */
export async function exportThroughput({ profile, report, scenes }: BenchContext): Promise<void> {
  requireFfmpeg(); // mp4, the scene
  ensureReferenceVenv();
  const beforeS = profile.exportBeforeS;
  const rows: string[][] = [];
  const ceilings: string[] = [];
  const stacking: string[] = [];
  const disks: string[] = [];
  /**
   * One row: `profile.runs` SNAPs, each after one run of the seed's loop on the same frames when the row has a seed
   * counterpart (`against.seed`) and one of sharp's encoder ceiling when it has one (`against.ceiling`), so every
   * side of a ratio sees the machine in the same minute: this machine's speed swings by a third within minutes,
   * and a yardstick taken minutes before the SNAPs moved the ratio with it.
   */
  const measure = async (bench: BenchService, size: Size, id: string, label: string, command: string, against?: { framesFile: string; seed?: ReferenceSet; ceiling?: 'jpeg' | 'png' }): Promise<void> => {
    const s = sizeLabel(size);
    progress(`export ${s} ${label}`);
    const key = `export.${id}.${s}`;
    const seedFps: number[] = [];
    const ceilingFps: number[] = [];
    const runs = await repeat(profile.runs, async () => {
      if (against?.seed) {
        const result = await runPythonReference(size[0], size[1], { ingestFrames: 30, exportFrames: profile.referenceExportFrames, runs: 1, framesFile: against.framesFile, sets: [against.seed] });
        seedFps.push(...result.export[against.seed]!.fps);
      }
      if (against?.ceiling) ceilingFps.push(await encoderCeiling(size[0], size[1], against.ceiling, profile.encoderSeconds, 2, against.framesFile));
      const a = await bench.sample();
      const { event, capture } = await snapWithCapture(bench, command);
      const b = await bench.sample();
      return { event, capture, cpu: cpuPercent(a, b) };
    });
    if (against?.ceiling) report.figure(`export.ceiling.${against.ceiling}.${s}.fps`, 'frames/s', ceilingFps);
    report.figure(`${key}.fps`, 'frames/s', runs.map((r) => (r.event.manifest.frames.length * 1000) / r.event.completeMs));
    report.figure(`${key}.frames`, 'frames', runs.map((r) => r.event.manifest.frames.length));
    report.figure(`${key}.stacks`, 'images', runs.map((r) => r.event.manifest.stacks.length));
    report.figure(`${key}.complete_ms`, 'ms', runs.map((r) => r.event.completeMs));
    report.figure(`${key}.cpu_percent`, '% of one core', runs.map((r) => r.cpu));
    recordCapture(report, key, runs.map((r) => r.capture));
    const seedKey = `export.seed.${id}.${s}.fps`;
    if (against?.seed) report.figure(seedKey, 'frames/s', seedFps);
    const seedFigure = report.get(seedKey);
    const ratio = seedFigure ? (report.get(`${key}.fps`)!.median / seedFigure.median).toFixed(2) + 'x' : '-';
    rows.push([s, label, report.cell(`${key}.frames`, 0), report.cell(`${key}.stacks`, 0), report.cell(`${key}.complete_ms`, 0), report.cell(`${key}.fps`), seedFigure ? report.cell(seedKey) : '-', ratio, report.cell(`${key}.cpu_percent`, 0), report.cell(`${key}.capture_fps`, 1)]);
  };
  /** A service whose ring holds the window, one unmeasured warm-up export, then `body`; stopped after. */
  const measuredService = async (overrides: ConfigOverrides, options: StartOptions, body: (bench: BenchService) => Promise<void>): Promise<void> => {
    const bench = await benchService(overrides, options);
    try {
      await sleep((beforeS + profile.settleS) * 1000);
      await warmUpExport(bench.service.linePort);
      await body(bench);
    } finally {
      await bench.stop();
    }
  };
  const synthetic = (size: Size): Record<string, unknown> => ({ source: 'synthetic', width: size[0], height: size[1], framerate: 30 });
  // Slower formats write below the capture rate: 4 s of headroom keeps the window's oldest frames from being overwritten mid-export.
  const ring = { seconds: beforeS + 4 };
  for (const size of profile.sizes) {
    const [w, h] = size;
    const s = sizeLabel(size);
    const scene = await scenes.get(size);
    // The yardsticks without a service running, on the same frames (the seed's loop and the encoder ceilings run beside each SNAP, below).
    progress(`export ${s}: stacking and the disk on the scene`);
    stacking.push(await measureStacking(report, scene.rgbFile, size, profile.runs, profile.referenceExportFrames * 4));
    // The npy export's yardstick: the same bytes per frame, written by each scheme, one window's worth.
    const npyBytes = w * h * 3 + 128;
    const cases: Array<[DiskMode, number, string]> = [
      ['page-cache', 1, 'no sync (np.save), 1 at a time'],
      ['buffered-fdatasync', 1, 'buffered + fdatasync, 1 at a time'],
      ['buffered-fdatasync', 4, 'buffered + fdatasync, 4 at a time'],
      ['picam', 1, 'picam (O_DIRECT + fdatasync), 1 at a time'],
      ['picam', 4, 'picam, 4 at a time'],
    ];
    const cells: string[] = [];
    for (const [mode, parallel, label] of cases) {
      const key = `export.disk.${mode}.p${parallel}.${s}`;
      const runs = await repeat(profile.runs, () => diskRate(mode, npyBytes, 30, parallel));
      report.figure(`${key}.files_per_s`, 'files/s', runs.map((r) => r.filesPerS));
      report.figure(`${key}.cpu_ms`, 'CPU ms/file', runs.map((r) => r.cpuMs));
      cells.push(`${label} ${report.cell(`${key}.files_per_s`)} files/s at ${report.cell(`${key}.cpu_ms`, 1)} CPU ms`);
    }
    disks.push(`${s} (${(npyBytes / 1e6).toFixed(1)} MB a file, 30 new files): ${cells.join('; ')}`);
    const { camera, options } = sceneCamera(scene);
    await measuredService({ camera, ring }, options, async (day) => {
      for (const set of EXPORT_SETS) {
        const id = set.replaceAll(',', '+');
        const ceiling = id === 'jpg' ? 'jpeg' : id === 'png' ? 'png' : undefined;
        await measure(day, size, id, id, `SNAP before=${beforeS} after=0 formats=${set}`, { framesFile: scene.rgbFile, seed: REFERENCE_SETS.find((r) => r === id), ceiling });
      }
      // np.save writes into the page cache; picam's files are synced. The same row against the seed's loop made durable.
      await measure(day, size, 'npy-durable-seed', 'npy, against the seed\'s loop with an fdatasync after each file (not the seed: its files are not synced; extra row)', `SNAP before=${beforeS} after=0 formats=npy`, { framesFile: scene.rgbFile, seed: DURABLE_NPY_SET });
    });
    ceilings.push(`${s}: sharp JPEG q90 ${report.cell(`export.ceiling.jpeg.${s}.fps`)}, PNG level 1 ${report.cell(`export.ceiling.png.${s}.fps`)} frames/s`);
    // The same frames through the fallback (no libturbojpeg): I420 -> RGB in the pixel worker, then sharp.
    await measuredService({ camera, ring }, { ...options, env: { ...options.env, PICAM_JPEG_ENCODER: 'sharp' } }, (viaRgb) =>
      measure(viaRgb, size, 'jpg-sharp', 'jpg through RGB with sharp (PICAM_JPEG_ENCODER=sharp: the path without libturbojpeg)', `SNAP before=${beforeS} after=0 formats=jpg`),
    );
    // The first scene: the noise added to the YUV planes, part of it outside RGB, which the seed's RGB frames clip.
    const yuvNoise = await scenes.get(size, 'yuv');
    const yuvCamera = sceneCamera(yuvNoise);
    await measuredService({ camera: yuvCamera.camera, ring }, yuvCamera.options, (noisy) =>
      measure(noisy, size, 'yuv-noise-jpg', `jpg, the noise added to the YUV planes (issue 18's first scene, extra row: part of it outside RGB, clipped in the seed's RGB frames)`, `SNAP before=${beforeS} after=0 formats=jpg`, { framesFile: yuvNoise.rgbFile, seed: 'jpg' }),
    );
    await measuredService({ camera: synthetic(size), ring }, {}, (flat) => measure(flat, size, 'flat-jpg', 'jpg, flat synthetic scene (extra row)', `SNAP before=${beforeS} after=0 formats=jpg`));
    // A dark scene (short day exposure, night mode off so it stays dark): every frame is a stacking candidate.
    await measuredService({ camera: { ...synthetic(size), exposure_us: 1500 }, night: { enable: false }, ring, export: { stack_count: 4 } }, {}, async (dark) => {
      await measure(dark, size, 'dark-jpg', 'jpg, dark synthetic scene, stacking off', `SNAP before=${beforeS} after=0 formats=jpg stack=off`);
      await measure(dark, size, 'dark-jpg-stack', 'jpg, dark synthetic scene, stacking on (4 frames a stack)', `SNAP before=${beforeS} after=0 formats=jpg stack=on`);
    });
  }
  report.heading(`Export throughput (SNAP before=${beforeS} after=0: the window already in the ring; camera-like scene, fake rpicam-vid yuv420 at 30 frames/s)`);
  report.line(`Scene: ffmpeg testsrc2 + \`${SCENE_FILTER}\`, full-range yuv420p, ${'30'} frames replayed in a loop. Medians of ${profile.runs} SNAP(s) per row after one unmeasured warm-up export, (min–max). frames/s = frames written / (SNAP → event.json). seed = bench/reference (cv2.imwrite jpg q90 / png level 1, np.save; one thread, sequential, no fsync; one unmeasured warm-up run) on the same frames as RGB: one run of ${profile.referenceExportFrames} frames just before each of picam's SNAPs, alternating, while picam's service captures (the machine's speed swings within minutes; both sides of a ratio are taken in the same minute). Service CPU: 100% = one core. Capture fps during: what the source took in while the export ran (asked 30).`);
  report.line(`Encoder ceilings on the same frames (sharp alone, frames in memory, 2 processes; one run just before each SNAP of the jpg and png rows while picam's service captures, as the seed's): ${ceilings.join('; ')}.`);
  report.line(`Stacking alone on the same frames (4 a stack; picam: FrameStacker and its worker, seed: bench/reference/stack_reference.py, np.mean to uint8, one thread): ${stacking.join('; ')}.`);
  report.line(`The disk on the npy bytes (bench/disk-bytes.ts, frames in memory, nothing else of picam): ${disks.join('; ')}.`);
  report.line();
  report.table(['size', 'formats', 'frames', 'stacks', 'SNAP → event.json ms', 'picam frames/s', 'seed frames/s', 'picam / seed', 'service CPU %', 'capture fps during'], rows);
}
