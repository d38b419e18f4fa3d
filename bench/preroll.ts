import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitForManifest } from '../test/helpers/files.js';
import { releaseFolder, trackFolder } from './cleanup.js';
import type { BenchContext } from './context.js';
import { sleep } from './proc.js';
import { progress } from './report.js';
import { sceneCamera } from './scene.js';
import { benchService } from './service.js';

const run = promisify(execFile);

interface Case {
  name: string;
  width: number;
  height: number;
  /** rpicam: the fake rpicam-vid replaying the scene (the Pi path); file: the scene's JPEGs in a clip, ffmpeg -c:v copy. */
  source: 'rpicam' | 'file';
  /** mjpeg: the camera's JPEGs in the byte ring; raw: yuv420 ring of 2 s + compressed tier. */
  kind: 'mjpeg' | 'raw+tier' | 'raw';
  /** Bytes for the byte ring (mjpeg) or the compressed tier. */
  bytes: number;
  /** mjpeg: size the byte ring by `ring.seconds` (picam's estimate at the camera's quality) instead of `bytes`. */
  seconds?: number;
  /** raw+tier: seconds of the raw ring (default 2) and the tier's JPEG quality (default 80). */
  rawSeconds?: number;
  quality?: number;
}

/**
 * The ffmpeg `-q:v` (with `-huffman default`) whose files match libjpeg quality 50 in size on this scene,
 * what rpicam-vid writes by default (test/fixtures/bin/rpicam-vid says how it was matched).
 */
const CAMERA_QSCALE = '8';

const CASES: Case[] = [
  { name: '720p mjpeg rpicam q50', width: 1280, height: 720, source: 'rpicam', kind: 'mjpeg', bytes: 200e6 },
  { name: '720p mjpeg file q50', width: 1280, height: 720, source: 'file', kind: 'mjpeg', bytes: 200e6 },
  { name: '720p yuv420 rpicam 2 s + tier q80', width: 1280, height: 720, source: 'rpicam', kind: 'raw+tier', bytes: 250e6 },
  { name: '720p yuv420 rpicam 2 s, no tier', width: 1280, height: 720, source: 'rpicam', kind: 'raw', bytes: 0 },
  { name: '1080p mjpeg rpicam q50', width: 1920, height: 1080, source: 'rpicam', kind: 'mjpeg', bytes: 400e6 },
  // What a user writes: the ring sized by seconds, from rpicam-vid's quality (ring-size.ts, jpegBytesPerPixel).
  { name: '1080p mjpeg rpicam q50 ring.seconds 60', width: 1920, height: 1080, source: 'rpicam', kind: 'mjpeg', bytes: 0, seconds: 60 },
  { name: '1080p mjpeg file q50', width: 1920, height: 1080, source: 'file', kind: 'mjpeg', bytes: 400e6 },
  { name: '1080p yuv420 rpicam 2 s + tier q80', width: 1920, height: 1080, source: 'rpicam', kind: 'raw+tier', bytes: 450e6 },
  { name: '1080p yuv420 rpicam 2 s, no tier', width: 1920, height: 1080, source: 'rpicam', kind: 'raw', bytes: 0 },
  // What fits a minute of 1080p in 600 MB with the tier: 1 s raw (93 MB) + ~150 KB q60 JPEGs.
  { name: '1080p yuv420 rpicam 1 s + tier q60', width: 1920, height: 1080, source: 'rpicam', kind: 'raw+tier', bytes: 290e6, rawSeconds: 1, quality: 60 },
];

/**
 * A minute of pre-roll on the camera-like scene (bench/scene.ts: testsrc2 +
 * temporal noise, full-range I420), at 30 fps, on the Pi path (the fake
 * rpicam-vid: I420, or JPEGs at its default quality 50) and from a file
 * (the same JPEGs, copied): fill the ring for PREROLL_SECONDS (default 62),
 * then one 55 s before_s jpg export. Reports frames held per MB, RSS, CPU
 * per frame, the capture rate held, and the export's frames against the window's.
 */
export async function preroll({ report, scenes }: BenchContext): Promise<void> {
  const fillS = Number(process.env.PREROLL_SECONDS ?? 62);
  const beforeS = Math.min(55, fillS - 5);
  const dir = trackFolder(await mkdtemp(path.join(os.tmpdir(), 'picam-bench-preroll-')));
  const rows: string[][] = [];
  try {
    for (const c of CASES) {
      if (process.env.PREROLL_CASES && !process.env.PREROLL_CASES.split(',').some((n) => c.name.startsWith(n))) continue;
      const scene = await scenes.get([c.width, c.height]);
      const codec = c.kind === 'mjpeg' ? 'mjpeg' : 'yuv420';
      let camera: Record<string, unknown>;
      let options = {};
      if (c.source === 'rpicam') {
        const pi = sceneCamera(scene);
        camera = { ...pi.camera, codec };
        options = pi.options;
      } else {
        const clip = path.join(dir, `${c.width}x${c.height}.mkv`);
        await run('ffmpeg', [
          '-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'rawvideo', '-pix_fmt', 'yuvj420p', '-s', `${c.width}x${c.height}`, '-framerate', '30', '-i', scene.yuvFile,
          '-c:v', 'mjpeg', '-huffman', 'default', '-q:v', CAMERA_QSCALE, '-y', clip,
        ]);
        camera = { source: 'file', file: clip, codec, width: c.width, height: c.height, framerate: 30 };
      }
      progress(`preroll ${c.name}, ${fillS} s`);
      const rawSeconds = c.rawSeconds ?? 2;
      const ring =
        c.kind === 'mjpeg'
          ? c.seconds !== undefined
            ? { seconds: c.seconds }
            : { max_bytes: c.bytes }
          : c.kind === 'raw'
            ? { seconds: rawSeconds }
            : { seconds: rawSeconds, compressed_seconds: 60, compressed_quality: c.quality ?? 80, compressed_max_bytes: c.bytes };
      const bench = await benchService({ camera, ring, export: { formats: ['jpg'], save_before_s: 1, save_after_s: 0, shutdown_grace_s: 120 } }, options);
      try {
        await sleep(3000);
        const a = await bench.sample();
        const fa = await bench.status();
        await sleep((fillS - 3) * 1000);
        const b = await bench.sample();
        const fb = await bench.status();
        const status = await bench.camera.getStatus({});
        const r = status.ring!;
        const tier = r.compressedTier;
        const framesHeld = tier ? tier.filledFrames : r.filledFrames;
        const bytesHeld = Number(tier ? tier.bytesHeld : r.bytesHeld);
        const frames = fb.captured - fa.captured;
        const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
        const cpuPerFrame = (b.cpuMs - a.cpuMs) / Math.max(1, frames);
        const fps = (frames * 1000) / (fb.atMs - fa.atMs);
        const span = tier ? tier.spanS : r.spanS;
        let exportCell = 'n/a';
        if (c.kind !== 'raw') {
          const t0 = performance.now();
          // wait: the reply comes when the last file is written; a minute of frames can take longer than the default deadline.
          const response = await bench.camera.trigger({ beforeS, afterS: 0, reason: 'preroll bench', wait: true, formats: ['jpg'] }, { deadlineMs: 600_000 });
          const manifest = await waitForManifest(response.dir, 300000);
          const s = ((performance.now() - t0) / 1000).toFixed(1);
          const lost = manifest.missing.reduce((n, g) => n + g.last_id - g.first_id + 1, 0);
          const tiers = [...new Set(manifest.frames.map((f) => f.tier))].join('+');
          exportCell = `${manifest.frames.length} of ${beforeS * 30} frames (${tiers}), ${lost} missing, ${manifest.state}, ${s} s`;
        }
        const id = `preroll.${c.name.replace(/[^a-z0-9]+/gi, '_')}`;
        report.figure(`${id}.rss_mb`, 'MB', [b.rssMb]);
        report.figure(`${id}.cpu_ms_per_frame`, 'ms', [cpuPerFrame]);
        report.figure(`${id}.fps`, 'fps', [fps]);
        const row = [
          c.name,
          (Number(tier ? tier.payloadBytes : r.payloadBytes) / 1e6).toFixed(0),
          span.toFixed(1),
          bytesHeld > 0 ? `${(framesHeld / (bytesHeld / 1e6)).toFixed(2)} (${(bytesHeld / framesHeld / 1e3).toFixed(0)} KB)` : 'n/a',
          b.rssMb.toFixed(0),
          cpuPerFrame.toFixed(2),
          tier ? `${tier.meanEncodeMs.toFixed(1)} ms, ${tier.framesSkipped} skipped / ${tier.framesEncoded} encoded` : '-',
          `${fps.toFixed(1)} (${fb.dropped - fa.dropped} dropped)`,
          exportCell,
          load,
        ];
        rows.push(row);
        progress(`preroll ${row.join(' | ')}`);
      } finally {
        await bench.stop();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    releaseFolder(dir);
  }
  report.heading(`Pre-roll: a minute of frames on the camera-like scene (testsrc2 + noise alls=12, full-range I420, 30 fps; ${fillS} s fill, then one ${beforeS} s before_s jpg export)`);
  report.line('rpicam: the fake rpicam-vid replaying the scene (I420, or JPEGs at its default --quality 50); file: the same JPEGs in a clip, copied by ffmpeg.');
  report.line('Frames per MB and span are of the byte ring (mjpeg) or the compressed tier (raw); CPU is the whole service process (all threads, not the camera tool) per captured frame.');
  report.line();
  report.table(['case', 'MB allocated', 'span held s', 'frames per MB (mean frame)', 'RSS MB', 'CPU ms/frame', 'tier encode latency, skipped', 'capture fps', `export before_s=${beforeS}`, 'load avg'], rows);
}
