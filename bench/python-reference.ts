import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SyntheticSource } from '../src/core/capture/synthetic-source.js';
import { ROOT } from '../test/helpers/service.js';
import { releaseFolder, trackChild, trackFolder } from './cleanup.js';
import { REFERENCE_PYTHON } from './tools.js';

/** What bench/reference/picam_reference.py prints. */
export interface PythonReferenceResult {
  width: number;
  height: number;
  ingest_cpu_ms_per_frame: number[];
  gray_mean_cpu_ms_per_frame: number[];
  export: Record<string, { fps: number[]; cpu_ms_per_frame: number[] }>;
  versions: Record<string, string | number>;
}

export const REFERENCE_SETS = ['jpg', 'png', 'npy', 'jpg+png+npy'] as const;
/** Not the seed's: its npy loop with an fdatasync after each file, as picam's files are synced (an extra export row). */
export const DURABLE_NPY_SET = 'npy+fdatasync';
export type ReferenceSet = (typeof REFERENCE_SETS)[number] | typeof DURABLE_NPY_SET;

/** Distinct frames handed to the reference: the moving box differs, as it does in the service. */
const FRAMES = 8;

/**
 * Runs the seed's approach on `framesFile` (the camera-like scene's frames as
 * RGB, see scene.ts) or on the frames picam's flat synthetic source renders,
 * so both sides compress and copy the same pixels.
 */
export async function runPythonReference(
  width: number,
  height: number,
  options: {
    ingestFrames: number;
    exportFrames: number;
    runs: number;
    /** Frames to use (rgb24, whole frames) instead of the flat synthetic scene. */
    framesFile?: string;
    /** Export sets to run (default all of REFERENCE_SETS). */
    sets?: readonly ReferenceSet[];
  },
): Promise<PythonReferenceResult> {
  const dir = trackFolder(await mkdtemp(path.join(os.tmpdir(), 'picam-bench-ref-')));
  try {
    const framesFile = options.framesFile ?? path.join(dir, 'frames.rgb');
    if (options.framesFile === undefined) await renderSynthetic(framesFile, width, height);
    const out = path.join(dir, 'out');
    const args = [
      path.join(ROOT, 'bench/reference/picam_reference.py'),
      '--frames', framesFile, '--width', String(width), '--height', String(height),
      '--ingest-frames', String(options.ingestFrames), '--export-frames', String(options.exportFrames),
      '--runs', String(options.runs), '--out-dir', out, '--sets', (options.sets ?? REFERENCE_SETS).join(','),
    ];
    await mkdir(out);
    const stdout = await runPython(REFERENCE_PYTHON, args);
    return JSON.parse(stdout) as PythonReferenceResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
    releaseFolder(dir);
  }
}

/** The flat synthetic scene's frames, written once to a raw file. */
async function renderSynthetic(framesFile: string, width: number, height: number): Promise<void> {
  const source = new SyntheticSource({ width, height, framerate: 30, cycleFrames: 0 });
  const frame = Buffer.alloc(width * height * 3);
  const handle = await open(framesFile, 'w');
  try {
    for (let i = 0; i < FRAMES; i++) {
      // Every 4th frame kept: the box moves visibly between the frames handed over.
      for (let skip = 0; skip < 4; skip++) source.renderInto(frame, 0);
      await handle.write(frame);
    }
  } finally {
    await handle.close();
  }
}

/** Runs a Python script to completion; stderr passes through, a non-zero exit fails the bench. */
export function runPython(python: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn(python, args, { stdio: ['ignore', 'pipe', 'inherit'] }));
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve(out) : reject(new Error(`${path.relative(ROOT, args[0] ?? python)} exited ${code ?? signal}`))));
  });
}
