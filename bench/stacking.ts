import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FrameStacker } from '../src/core/export/stacker.js';
import { ROOT } from '../test/helpers/service.js';
import { sizeLabel } from './context.js';
import type { Size } from './options.js';
import { runPython } from './python-reference.js';
import type { Report } from './report.js';
import { REFERENCE_PYTHON } from './tools.js';

/** Frames stacked per second (wall) and CPU ms per frame (the whole process, worker threads included), one per run. */
export interface StackFigures {
  fps: number[];
  cpuMs: number[];
}

/**
 * picam's dark-frame stacker alone on the frames of `rgbFile` (the
 * camera-like scene as RGB): FrameStacker as the export drives it (one
 * frame in flight, sums in the stack worker), `count` frames a stack,
 * `frames` frames a run, nothing else running in this process.
 */
export async function picamStacking(rgbFile: string, width: number, height: number, count: number, frames: number, runs: number): Promise<StackFigures> {
  const images = framesOf(rgbFile, width * height * 3).map((data) => ({ data, width, height, channels: 3 as const }));
  const stacker = new FrameStacker(count);
  const stackRun = async (total: number): Promise<[number, number]> => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let stacks = 0;
    for (let i = 0; i < total; i++) if (await stacker.add(i, images[i % images.length]!)) stacks++;
    const c = process.cpuUsage(c0);
    if (stacks !== Math.floor(total / count)) throw new Error(`stacker made ${stacks} stacks of ${total} frames, expected ${Math.floor(total / count)}`);
    return [(total * 1000) / (performance.now() - t0), (c.user + c.system) / 1000 / total];
  };
  await stackRun(count); // warm: worker started, sums allocated
  const fps: number[] = [];
  const cpuMs: number[] = [];
  for (let run = 0; run < runs; run++) {
    const [f, c] = await stackRun(frames);
    fps.push(f);
    cpuMs.push(c);
  }
  return { fps, cpuMs };
}

/** The seed's stacking (bench/reference/stack_reference.py: np.mean of `count` frames, to uint8) on the same frames. */
export async function seedStacking(rgbFile: string, width: number, height: number, count: number, frames: number, runs: number): Promise<StackFigures> {
  const args = [path.join(ROOT, 'bench/reference/stack_reference.py'), '--frames', rgbFile, '--width', String(width), '--height', String(height), '--count', String(count), '--stack-frames', String(frames), '--runs', String(runs)];
  const out = JSON.parse(await runPython(REFERENCE_PYTHON, args)) as { fps: number[]; cpu_ms_per_frame: number[] };
  return { fps: out.fps, cpuMs: out.cpu_ms_per_frame };
}

function framesOf(file: string, bytes: number): Buffer[] {
  const all = readFileSync(file);
  const frames: Buffer[] = [];
  // Shared memory, as the export's pool buffers are: the worker reads them in place.
  for (let at = 0; at + bytes <= all.length; at += bytes) {
    const frame = Buffer.from(new SharedArrayBuffer(bytes));
    all.copy(frame, 0, at, at + bytes);
    frames.push(frame);
  }
  if (frames.length === 0) throw new Error(`${file}: no whole frame of ${bytes} bytes`);
  return frames;
}

/**
 * Both stackers on the scene's RGB frames, 4 frames a stack (export.stack_count's
 * default), one after the other with nothing else of the bench running; records
 * `export.stacking.<size>.fps` / `.cpu_ms` and the seed's `export.seed.stacking.<size>.fps` / `.cpu_ms`.
 */
export async function measureStacking(report: Report, rgbFile: string, [width, height]: Size, runs: number, frames: number): Promise<string> {
  const s = sizeLabel([width, height]);
  const picam = await picamStacking(rgbFile, width, height, 4, frames, runs);
  const seed = await seedStacking(rgbFile, width, height, 4, frames, runs);
  report.figure(`export.stacking.${s}.fps`, 'frames/s', picam.fps);
  report.figure(`export.stacking.${s}.cpu_ms`, 'ms', picam.cpuMs);
  report.figure(`export.seed.stacking.${s}.fps`, 'frames/s', seed.fps);
  report.figure(`export.seed.stacking.${s}.cpu_ms`, 'ms', seed.cpuMs);
  const ratio = (report.get(`export.stacking.${s}.fps`)!.median / report.get(`export.seed.stacking.${s}.fps`)!.median).toFixed(2);
  return (
    `${s}: picam ${report.cell(`export.stacking.${s}.fps`)} frames/s at ${report.cell(`export.stacking.${s}.cpu_ms`)} CPU ms a frame, ` +
    `seed ${report.cell(`export.seed.stacking.${s}.fps`)} at ${report.cell(`export.seed.stacking.${s}.cpu_ms`)} (${ratio}x)`
  );
}
