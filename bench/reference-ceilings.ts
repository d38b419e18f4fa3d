import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { darkScore } from '../src/core/night/dark-score.js';
import { RingBuffer } from '../src/core/ring/ring-buffer.js';
import { SyntheticSource } from '../src/core/capture/synthetic-source.js';
import { frameBytes, type PixelFormat } from '../src/core/capture/frame.js';

/**
 * Reference lines measured in the same run, so picam's figures read as
 * ratios: what one frame costs in memory (ring write + dark score), what a
 * pipe from ffmpeg delivers into Node when nothing is done with the frames,
 * and what sharp encodes when it has both cores to itself.
 */

const FIELDS = { timestampMs: 0, monotonicMs: 0, exposureUs: 10_000, gain: 1, night: false };

/** CPU ms per frame of ring write + dark score + metadata, frame already in memory. */
export function inMemoryIngest(width: number, height: number, format: PixelFormat, frames = 300): number {
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

/** Frames/s and Node CPU ms per frame for raw frames piped from ffmpeg into a Node process that discards them. */
export async function pipeCeiling(width: number, height: number, seconds: number): Promise<{ fps: number; cpuMs: number }> {
  const bytes = width * height * 3;
  const script = `
    const { spawn } = require('node:child_process');
    const ff = spawn('ffmpeg', ['-hide_banner','-loglevel','error','-f','lavfi','-i','testsrc2=size=${width}x${height}:rate=1000','-t','${seconds}','-f','rawvideo','-pix_fmt','rgb24','pipe:1'], { stdio: ['ignore','pipe','inherit'] });
    let total = 0; const t0 = performance.now(); const c0 = process.cpuUsage();
    ff.stdout.on('data', (c) => { total += c.length; });
    ff.on('exit', () => { const c = process.cpuUsage(c0); const frames = total / ${bytes};
      console.log(JSON.stringify({ fps: frames / ((performance.now() - t0) / 1000), cpuMs: (c.user + c.system) / 1000 / frames })); });`;
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as { fps: number; cpuMs: number };
}

/** Encodes per second of one frame by sharp, in `processes` processes at once (all cores). */
export async function encoderCeiling(width: number, height: number, format: 'jpeg' | 'png', processes = 2, seconds = 3): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'picam-enc-'));
  try {
    const self = fileURLToPath(import.meta.url);
    const runs = await Promise.all(
      Array.from({ length: processes }, () =>
        new Promise<number>((resolve, reject) => {
          const child = spawn(process.execPath, [self, 'encode', String(width), String(height), format, String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
          child.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`encoder exited ${code}`))));
        }),
      ),
    );
    return runs.reduce((a, b) => a + b, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Child mode: encode one synthetic frame repeatedly, one encode in flight, print encodes/s. */
async function encodeLoop(width: number, height: number, format: 'jpeg' | 'png', seconds: number): Promise<void> {
  const frame = Buffer.alloc(width * height * 3);
  new SyntheticSource({ width, height, framerate: 30, cycleFrames: 0 }).renderInto(frame, 0);
  const image = () => sharp(frame, { raw: { width, height, channels: 3 } });
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
  await encodeLoop(Number(process.argv[3]), Number(process.argv[4]), process.argv[5] as 'jpeg' | 'png', Number(process.argv[6]));
}
