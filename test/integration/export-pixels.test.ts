import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import sharp from 'sharp';
import { numpyLoad, waitForManifest } from '../helpers/files.js';
import { untilStatus, withCamera } from '../helpers/camera.js';
import { FIXTURES } from '../helpers/service.js';

const WIDTH = 640;
const HEIGHT = 480;
/** Grey level of each replayed frame: far enough apart that a JPEG's rounding cannot make one look like another. */
const LEVELS = [30, 55, 80, 105, 130, 155, 180, 205];

/** Full-range I420 frames, one flat grey level each (U = V = 128: RGB = Y exactly). */
function framesFile(): Buffer {
  const frame = WIDTH * HEIGHT * 1.5;
  const out = Buffer.alloc(frame * LEVELS.length, 128);
  LEVELS.forEach((level, i) => out.fill(level, i * frame, i * frame + WIDTH * HEIGHT));
  return out;
}

async function meanOfImage(file: string): Promise<number> {
  const { data } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i]!;
  return sum / data.length;
}

/**
 * The fake rpicam-vid replaying the grey-level frames, a service exporting `formats`, and one 1 s window
 * (0.5 s + 0.5 s) triggered once it has frames: `check` gets the event's folder and manifest.
 */
async function exportLevels(formats: string[], check: (dir: string, manifest: Awaited<ReturnType<typeof waitForManifest>>) => Promise<void>, env: Record<string, string> = {}): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'picam-pixels-'));
  const frames = path.join(dir, 'frames.yuv');
  await writeFile(frames, framesFile());
  const overrides = { camera: { source: 'rpicam', codec: 'yuv420', width: WIDTH, height: HEIGHT, framerate: 30 }, export: { formats } };
  const options = { pathPrepend: [path.join(FIXTURES, 'bin')], env: { FAKE_RPICAM_FRAMES: frames, FAKE_RPICAM_STARTUP_S: '0', ...env } };
  try {
    await withCamera(overrides, options, async (camera, service) => {
      await untilStatus(camera, (s) => Number(s.ring?.newestFrameId ?? 0) >= 5, 30_000);
      const reply = await camera.trigger({ beforeS: 0.5, afterS: 0.5, reason: 'pixels', wait: true });
      const manifest = await waitForManifest(reply.dir, 60_000);
      assert.equal(manifest.state, 'complete');
      assert.deepEqual(manifest.missing, []);
      await check(reply.dir, manifest);
      const jpegPath = service.logs.find((l) => l.msg.startsWith('JPEG from I420:'))?.msg;
      assert.match(jpegPath ?? '', env.PICAM_JPEG_ENCODER === 'sharp' ? /sharp through RGB/ : /libjpeg-turbo from the I420 planes/, 'the JPEG path the service logged');
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('exported pixels belong to their own frame (pooled buffers, files synced in the background)', () => {
  it('I420 frames of distinct grey levels: each frame\'s jpg, png and npy show its level, and consecutive frames consecutive levels', async () => {
    await exportLevels(['jpg', 'png', 'npy'], async (dir, manifest) => {
      assert.ok(manifest.frames.length >= 20, `${manifest.frames.length} frames in a 1 s window at 30 fps`);
      const npys = await numpyLoad(manifest.frames.map((f) => path.join(dir, f.files.find((n) => n.endsWith('.npy'))!)));
      const levels: number[] = [];
      for (const [i, frame] of manifest.frames.entries()) {
        const npy = npys[i]!;
        assert.deepEqual(npy.shape, [HEIGHT, WIDTH, 3]);
        const level = npy.sum / (WIDTH * HEIGHT * 3);
        assert.ok(LEVELS.includes(level), `frame ${frame.frame_id}: npy is one whole frame (mean ${level})`);
        for (const ext of ['.jpg', '.png']) {
          const mean = await meanOfImage(path.join(dir, frame.files.find((n) => n.endsWith(ext))!));
          assert.ok(Math.abs(mean - level) < 2, `frame ${frame.frame_id}: ${ext} mean ${mean} is its npy's level ${level}`);
        }
        levels.push(LEVELS.indexOf(level));
      }
      for (let i = 1; i < levels.length; i++) {
        assert.equal(manifest.frames[i]!.frame_id, manifest.frames[i - 1]!.frame_id + 1, 'consecutive frame ids');
        assert.equal(levels[i], (levels[i - 1]! + 1) % LEVELS.length, `frame ${manifest.frames[i]!.frame_id} holds the next replayed frame, not a neighbour's pixels`);
      }
    });
  });

  for (const [how, env] of [
    ['encoded from the I420 planes, four frames at a time, no RGB', {}],
    ['through RGB with sharp, where the native encoder is missing (PICAM_JPEG_ENCODER=sharp)', { PICAM_JPEG_ENCODER: 'sharp' }],
  ] as const) {
    it(`jpg alone (${how}): each file shows its own frame's level, in capture order`, async () => {
      await exportLevels(['jpg'], async (dir, manifest) => {
        assert.ok(manifest.frames.length >= 20, `${manifest.frames.length} frames in a 1 s window at 30 fps`);
        const levels: number[] = [];
        for (const frame of manifest.frames) {
          const mean = await meanOfImage(path.join(dir, frame.files[0]!));
          const nearest = LEVELS.findIndex((level) => Math.abs(level - mean) < 2);
          assert.ok(nearest >= 0, `frame ${frame.frame_id}: jpg mean ${mean.toFixed(1)} is no replayed level (full range kept)`);
          levels.push(nearest);
        }
        for (let i = 1; i < levels.length; i++) assert.equal(levels[i], (levels[i - 1]! + 1) % LEVELS.length, `frame ${manifest.frames[i]!.frame_id} holds the next replayed frame`);
      }, env);
    });
  }

  it('an mp4 of full-range I420 frames shows each frame\'s own level, in capture order, full range kept', async () => {
    await exportLevels(['mp4'], async (dir) => {
      const { stdout } = await execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', path.join(dir, 'clip.mp4'), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { encoding: 'buffer' });
      const bytes = WIDTH * HEIGHT * 3;
      assert.equal(stdout.length % bytes, 0);
      const count = stdout.length / bytes;
      assert.ok(count >= 20, `${count} frames in the clip of a 1 s window at 30 fps`);
      const levels: number[] = [];
      for (let f = 0; f < count; f++) {
        let sum = 0;
        for (let i = f * bytes; i < (f + 1) * bytes; i++) sum += stdout[i]!;
        const mean = sum / bytes;
        // Limited-range H.264 rounds a flat level by a step or two; a range mix-up would move it by 14 or more.
        const nearest = LEVELS.reduce((best, level, i) => (Math.abs(level - mean) < Math.abs(LEVELS[best]! - mean) ? i : best), 0);
        assert.ok(Math.abs(LEVELS[nearest]! - mean) < 3, `clip frame ${f}: mean ${mean.toFixed(1)} is no replayed level`);
        levels.push(nearest);
      }
      for (let i = 1; i < levels.length; i++) assert.equal(levels[i], (levels[i - 1]! + 1) % LEVELS.length, `clip frame ${i} follows frame ${i - 1}`);
    });
  });
});
