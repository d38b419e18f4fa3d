import { repeat, sizeLabel, type BenchContext } from './context.js';
import { encoderCeiling, inMemoryIngest, pipeCeiling } from './reference-ceilings.js';
import { REFERENCE_SETS, runPythonReference } from './python-reference.js';
import { progress } from './report.js';
import { ensureReferenceVenv, requireFfmpeg } from './tools.js';

/** Frame rate of the clip the pipe ceiling and the unthrottled file source read. */
export const FAST_CLIP_RATE = 1000;

/**
 * The reference table: picam's in-memory per-frame cost, the pipe and
 * encoder ceilings, and the seed's Python approach, all on this machine in
 * this run. Later sections' targets are ratios against these rows.
 */
export async function referenceLines(context: BenchContext): Promise<void> {
  const { profile, report, clips } = context;
  requireFfmpeg();
  ensureReferenceVenv();
  const { runs } = profile;
  for (const size of profile.sizes) {
    const [w, h] = size;
    const s = sizeLabel(size);
    progress(`reference lines ${s}`);
    for (const format of ['rgb24', 'yuv420'] as const) {
      report.figure(`ref.inmem.${format}.${s}.cpu_ms`, 'ms/frame', await repeat(runs, () => inMemoryIngest(w, h, format, profile.loopFrames)));
    }
    const clip = await clips.get(w, h, FAST_CLIP_RATE);
    const pipes = await repeat(runs, () => pipeCeiling(clip, w, h, profile.pipeFrames));
    report.figure(`ref.pipe.${s}.fps`, 'frames/s', pipes.map((p) => p.fps));
    report.figure(`ref.pipe.${s}.cpu_ms`, 'ms/frame', pipes.map((p) => p.cpuMs));
    for (const format of ['jpeg', 'png'] as const) {
      report.figure(`ref.sharp.${format}.${s}.fps`, 'frames/s', await repeat(runs, () => encoderCeiling(w, h, format, profile.encoderSeconds)));
    }
    progress(`python reference ${s}`);
    const py = await runPythonReference(w, h, { ingestFrames: profile.loopFrames, exportFrames: profile.referenceExportFrames, runs });
    report.figure(`ref.python.ingest.${s}.cpu_ms`, 'ms/frame', py.ingest_cpu_ms_per_frame);
    report.figure(`ref.python.gray.${s}.cpu_ms`, 'ms/frame', py.gray_mean_cpu_ms_per_frame);
    for (const set of REFERENCE_SETS) {
      const result = py.export[set];
      if (!result) throw new Error(`the Python reference printed no export figures for ${set}`);
      report.figure(`ref.python.export.${set}.${s}.fps`, 'frames/s', result.fps);
      report.figure(`ref.python.export.${set}.${s}.cpu_ms`, 'ms/frame', result.cpu_ms_per_frame);
    }
    report.info.pythonReference = py.versions;
  }
  printReferenceTable(context);
}

function printReferenceTable({ profile, report }: BenchContext): void {
  const sizes = profile.sizes.map(sizeLabel);
  const row = (label: string, id: (s: string) => string, digits?: number): string[] => [label, ...sizes.map((s) => report.cell(id(s), digits))];
  report.heading('Reference lines (same run, same machine)');
  const versions = Object.entries(report.info.pythonReference ?? {}).map(([k, v]) => `${k} ${String(v)}`);
  report.line(`Medians of ${profile.runs} run(s), (min–max). Python reference: ${versions.join(', ')}.`);
  report.line();
  report.table(['figure', ...sizes], [
    row('picam in-memory ingest, rgb24: ring write + dark score + metadata, CPU ms/frame', (s) => `ref.inmem.rgb24.${s}.cpu_ms`, 3),
    row('picam in-memory ingest, yuv420: ring write + dark score + metadata, CPU ms/frame', (s) => `ref.inmem.yuv420.${s}.cpu_ms`, 3),
    row('Python reference ingest: copy + cvtColor grey + mean + metadata + deque, CPU ms/frame', (s) => `ref.python.ingest.${s}.cpu_ms`, 3),
    row('  of which cvtColor grey + mean, CPU ms/frame', (s) => `ref.python.gray.${s}.cpu_ms`, 3),
    row('source ceiling: ffmpeg decodes the MJPEG clip to rgb24 into a Node pipe, discarded: frames/s', (s) => `ref.pipe.${s}.fps`),
    row('  Node CPU ms/frame of that pipe', (s) => `ref.pipe.${s}.cpu_ms`),
    row('encoder ceiling: sharp JPEG q90 (no mozjpeg, no optimised tables), 2 processes: frames/s', (s) => `ref.sharp.jpeg.${s}.fps`),
    row('encoder ceiling: sharp PNG level 1, 2 processes: frames/s', (s) => `ref.sharp.png.${s}.fps`),
    ...REFERENCE_SETS.map((set) => row(`Python reference export ${set} (cv2.imwrite / np.save, one thread): frames/s`, (s) => `ref.python.export.${set}.${s}.fps`)),
  ]);
}
