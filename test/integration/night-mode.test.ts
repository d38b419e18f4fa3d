import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CameraService, Encoding, EventState } from '../../src/gen/picam/v1/camera_pb.js';
import { readManifest } from '../helpers/files.js';
import { createClient } from '../helpers/grpc-client.js';
import { FIXTURES, startService } from '../helpers/service.js';
import { LineClient } from '../helpers/sockets.js';

type Camera = ReturnType<typeof createClient<typeof CameraService extends { method: infer M } ? { [K in keyof M]: M[K] } : never>>;

interface Transition {
  night: boolean;
  frameId: number;
  exposureUs: number;
  gain: number;
  fps: number;
}

/** Collects night transitions from WatchEvents until `enough` says stop. */
async function watchTransitions(camera: Camera, enough: (seen: Transition[]) => boolean, during?: (t: Transition) => Promise<void>): Promise<Transition[]> {
  const watch = camera.watchEvents({});
  const seen: Transition[] = [];
  for await (const message of watch.stream) {
    if (message.kind.case !== 'nightTransition') continue;
    const t = message.kind.value;
    const transition = { night: t.night, frameId: Number(t.frameId), exposureUs: t.exposureUs, gain: t.gain, fps: t.framesPerSecond };
    seen.push(transition);
    await during?.(transition);
    if (enough(seen)) break;
  }
  watch.cancel();
  return seen;
}

describe('night mode on the real service', () => {
  it('enters and leaves night once per synthetic cycle, applies night exposure and frame rate, no flapping', async () => {
    const cycle = 240;
    const service = await startService({
      camera: { source: 'synthetic', width: 160, height: 120, framerate: 60, synthetic_cycle_frames: cycle },
      night: { min_dark_frames: 10, dark_threshold: 40, bright_threshold: 60, exposure_us: 20000, gain: 4, mode: 'slow_video' },
      export: { save_before_s: 0.2, save_after_s: 0.2 },
    });
    const camera = createClient(CameraService, service.grpcAddress) as unknown as Camera;
    try {
      let checkedNight = false;
      const seen = await watchTransitions(
        camera,
        (s) => s.length >= 4,
        async (t) => {
          if (!t.night || checkedNight) return;
          checkedNight = true;
          // While night is in force: the state says so and saved frames carry it.
          const state = await camera.getNightState({});
          assert.equal(state.night, true);
          assert.equal(state.exposureUs, 20000);
          assert.equal(state.gain, 4);
          assert.equal(state.framesPerSecond, 50, 'slow_video: 1 s / 20 ms exposure');
          const event = await camera.trigger({ beforeS: 0, afterS: 0.2, wait: true });
          assert.equal(event.state, EventState.COMPLETE);
          const manifest = await readManifest(event.dir);
          assert.ok(manifest.frames.length > 0);
          assert.ok(manifest.frames.every((f) => f.night && f.exposure_us === 20000 && f.gain === 4), JSON.stringify(manifest.frames[0]));
          const stream = camera.streamFrames({ encoding: Encoding.METADATA_ONLY });
          for await (const message of stream.stream) {
            assert.equal(message.frame!.exposureUs, 20000, 'the source captures with the night exposure');
            break;
          }
          stream.cancel();
        },
      );
      assert.deepEqual(
        seen.map((t) => t.night),
        [true, false, true, false],
        'strictly alternating: one night per cycle',
      );
      assert.deepEqual([seen[0]!.exposureUs, seen[0]!.gain, seen[0]!.fps], [20000, 4, 50]);
      assert.deepEqual([seen[1]!.exposureUs, seen[1]!.gain, seen[1]!.fps], [10000, 1, 60], 'day settings restored');
      // The light follows frame count, so each switch recurs exactly one cycle later: no extra flips at dusk.
      assert.ok(Math.abs(seen[2]!.frameId - seen[0]!.frameId - cycle) <= 2, `night starts ${seen[2]!.frameId - seen[0]!.frameId} frames apart`);
      assert.ok(Math.abs(seen[3]!.frameId - seen[1]!.frameId - cycle) <= 2, `night ends ${seen[3]!.frameId - seen[1]!.frameId} frames apart`);
      const nightFrames = seen[1]!.frameId - seen[0]!.frameId;
      assert.ok(nightFrames > cycle / 4 && nightFrames < (3 * cycle) / 4, `night lasts ${nightFrames} of ${cycle} frames`);

      const client = await LineClient.connect(service.linePort);
      const reply = await client.command('NIGHT');
      client.destroy();
      assert.match(reply, /^OK night=[01] enabled=1 score=[\d.]+ normalized=[\d.]+ dark_threshold=40 bright_threshold=60 dark_frames=\d+ bright_frames=\d+ exposure_us=\d+ gain=[\d.]+ mode=slow_video fps=[\d.]+ transitions=[4-9] last_transition=\d{4}-/);
    } finally {
      camera.close();
      assert.equal(await service.stop(), 0);
    }
  });

  it('night.enable=false keeps day settings; Configure changes thresholds at run time', async () => {
    const service = await startService({
      camera: { source: 'synthetic', width: 160, height: 120, framerate: 60, synthetic_cycle_frames: 120 },
      night: { enable: false, min_dark_frames: 5 },
    });
    const camera = createClient(CameraService, service.grpcAddress) as unknown as Camera;
    try {
      await new Promise((resolve) => setTimeout(resolve, 2500)); // more than one full cycle
      const off = await camera.getNightState({});
      assert.equal(off.enabled, false);
      assert.equal(off.transitions, 0n);
      assert.equal(off.exposureUs, 10000);
      await camera.configure({ config: { night: { enable: true, darkThreshold: 50 } }, updateMask: { paths: ['night.enable', 'night.dark_threshold'] } });
      const seen = await watchTransitions(camera, (s) => s.length >= 1);
      assert.equal(seen[0]!.night, true);
      assert.equal((await camera.getNightState({})).darkThreshold, 50);
    } finally {
      camera.close();
      assert.equal(await service.stop(), 0);
    }
  });

  it('rpicam: night restarts rpicam-vid with --shutter and --gain, and day without them', async () => {
    const scratch = await mkdtemp(path.join(tmpdir(), 'picam-night-'));
    const argsLog = path.join(scratch, 'args.log');
    // A dim scene: dark at day settings; night's 8x exposure x gain brightens it but,
    // normalised, it is still dark, so the camera stays in night (no oscillation).
    const service = await startService(
      { camera: { source: 'rpicam', width: 160, height: 120, framerate: 30 }, night: { min_dark_frames: 5, exposure_us: 20000, gain: 4 } },
      { pathPrepend: [path.join(FIXTURES, 'bin')], env: { FAKE_RPICAM_ARGS_LOG: argsLog, FAKE_RPICAM_LIGHT: '0.1' } },
    );
    const camera = createClient(CameraService, service.grpcAddress) as unknown as Camera;
    try {
      const seen = await watchTransitions(camera, (s) => s.length >= 1);
      assert.equal(seen[0]!.night, true);
      for (;;) {
        const log = await readFile(argsLog, 'utf8');
        if (log.includes('--shutter 20000 --gain 4')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const state = await camera.getNightState({});
      assert.equal(state.night, true, 'stays night: the brighter picture is judged at its exposure');
      assert.equal(state.transitions, 1n);
      assert.ok(state.normalizedScore < 40, `normalised ${state.normalizedScore}, raw ${state.darkScore}`);
      assert.ok(state.darkScore > state.normalizedScore * 4, 'raw picture is brighter at night exposure');
      const lines = (await readFile(argsLog, 'utf8')).trim().split('\n');
      assert.ok(!lines[0]!.includes('--shutter'), 'day: automatic exposure');
      assert.match(lines.at(-1)!, /--framerate 30 .*--shutter 20000 --gain 4 -o -$/);
    } finally {
      camera.close();
      assert.equal(await service.stop(), 0);
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
