import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { darkScore } from '../src/core/night/dark-score.js';
import { RingBuffer } from '../src/core/ring/ring-buffer.js';
import { SyntheticSource } from '../src/core/capture/synthetic-source.js';
import { frameBytes, type PixelFormat } from '../src/core/frame.js';
import { trackChild } from './cleanup.js';

/**
 * Reference lines measured in the same run, so picam's figures read as
 * ratios: what one frame costs in memory (ring write + dark score), what a
 * pipe from ffmpeg delivers into Node when nothing is done with the frames,
 * and what sharp encodes when it has both cores to itself.
 */

const FIELDS = { timestampMs: 0, monotonicMs: 0, exposureUs: 10_000, gain: 1, night: false };

/** CPU ms per frame of ring write + dark score + metadata, frame already in memory. */
export function inMemoryIngest(width: number, height: number, format: PixelFormat, frames: number): number {
  const bytes = frameBytes({ width, height, format });
  const ring = new RingBuffer(30, bytes);
  const frame = Buffer.alloc(bytes);
  new SyntheticSource({ width, height, framerate: 30, cycleFrames: 0 }).renderInto(format === 'rgb24' ? frame : Buffer.alloc(width * height * 3), 0);
  for (let i = 0; i < 30; i++) ring.push(frame, { ...FIELDS, darkScore: 0 }); // warm: slots resident
  const start = process.cpuUsage();
  for (let i = 0; i < frames; i++) {
    const slot = ring.acquire();
    frame.copy(slot);
    ring.commit(bytes, { ...FIELDS, darkScore: darkScore(slot, width, height, format) });
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / frames;
}

/**
 * ffmpeg arguments that decode `clip` and write raw rgb24 at `width`x`height`
 * as fast as it can: the file source's own pipeline minus `-re`, so the
 * ceiling and picam's pipe ingest read the same frames the same way.
 */
export function ceilingFfmpegArgs(clip: string, width: number, height: number, frames: number): string[] {
  return ['-hide_banner', '-loglevel', 'error', '-nostdin', '-stream_loop', '-1', '-i', clip, '-an', '-vf', `scale=${width}:${height}`, '-frames:v', String(frames), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
}

/** Child script: spawn ffmpeg, count and discard its bytes, print fps and own CPU per frame. */
const PIPE_SCRIPT = `
const { spawn } = require('node:child_process');
const [bytesPerFrame, ...args] = process.argv.slice(1);
const ff = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'inherit'] });
let total = 0;
const t0 = performance.now();
const c0 = process.cpuUsage();
ff.stdout.on('data', (chunk) => { total += chunk.length; });
ff.on('exit', (code) => {
  const c = process.cpuUsage(c0);
  const frames = total / Number(bytesPerFrame);
  if (code !== 0 || frames < 1) { console.error('ffmpeg exited ' + code + ' after ' + frames + ' frames'); process.exit(1); }
  console.log(JSON.stringify({ fps: frames / ((performance.now() - t0) / 1000), cpuMs: (c.user + c.system) / 1000 / frames }));
});`;

/**
 * Frames/s and Node CPU ms per frame for raw frames piped from ffmpeg into a
 * Node process that discards them. Like for like with the file source: the
 * same ffmpeg arguments (less `-re`), the same frame size, a Unix socket pair
 * on both sides (Node's child stdio here, src/core/capture/frame-pipe.ts
 * there). Left out is what ingest must do: keep each frame (the kernel writes
 * into ring slots that are cold by the time they come round, not into memory
 * the allocator has just freed), score it and commit it; done here and not
 * there: a fresh 64 KB Buffer for every read ('data' events).
 */
export async function pipeCeiling(clip: string, width: number, height: number, frames: number): Promise<{ fps: number; cpuMs: number }> {
  const out = await runChild(process.execPath, ['-e', PIPE_SCRIPT, String(width * height * 3), ...ceilingFfmpegArgs(clip, width, height, frames)]);
  return JSON.parse(out) as { fps: number; cpuMs: number };
}

/**
 * Encodes per second by sharp, in `processes` processes at once (all cores):
 * of one flat synthetic frame, or cycling through the RGB frames of `framesFile`
 * (the camera-like scene, so the ceiling is on the content the export writes).
 */
export async function encoderCeiling(width: number, height: number, format: 'jpeg' | 'png', seconds: number, processes = 2, framesFile = ''): Promise<number> {
  const self = fileURLToPath(import.meta.url);
  const runs = await Promise.all(
    Array.from({ length: processes }, () => runChild(process.execPath, [self, 'encode', String(width), String(height), format, String(seconds), framesFile]).then(Number)),
  );
  return runs.reduce((a, b) => a + b, 0);
}

function runChild(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] }));
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${command} ${args[0] === '-e' ? '(pipe ceiling)' : args.slice(0, 2).join(' ')} exited ${code}`))));
  });
}

/** Child mode: encode one synthetic frame repeatedly, one encode in flight, print encodes/s. */
async function encodeLoop(width: number, height: number, format: 'jpeg' | 'png', seconds: number, framesFile: string): Promise<void> {
  const bytes = width * height * 3;
  const frames: Buffer[] = [];
  if (framesFile !== '') {
    const all = readFileSync(framesFile);
    for (let at = 0; at + bytes <= all.length; at += bytes) frames.push(all.subarray(at, at + bytes));
  } else {
    const frame = Buffer.alloc(bytes);
    new SyntheticSource({ width, height, framerate: 30, cycleFrames: 0 }).renderInto(frame, 0);
    frames.push(frame);
  }
  let next = 0;
  const image = () => sharp(frames[next++ % frames.length], { raw: { width, height, channels: 3 } });
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    if (format === 'jpeg') await image().jpeg({ quality: 90, mozjpeg: false, optimiseCoding: false }).toBuffer();
    else await image().png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer();
    n++;
  }
  process.stdout.write(`${n / ((performance.now() - t0) / 1000)}\n`);
}

if (process.argv[2] === 'encode') {
  sharp.concurrency(1);
  await encodeLoop(Number(process.argv[3]), Number(process.argv[4]), process.argv[5] as 'jpeg' | 'png', Number(process.argv[6]), process.argv[7] ?? '');
}
