import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ffmpegFileArgs, ffmpegV4l2Args } from '../../../src/core/capture/ffmpeg-args.js';
import { parseCameraList, rpicamArgs } from '../../../src/core/capture/rpicam-args.js';

const rpicam = { width: 1280, height: 720, fps: 30, codec: 'yuv420' as const, mjpegQuality: 50, index: 0, hflip: false, vflip: false, rotation: 0 as const, exposureUs: 0, gain: 0 };

describe('rpicam-vid arguments', () => {
  it('run endlessly, quiet, without preview, raw frames to stdout', () => {
    assert.deepEqual(rpicamArgs(rpicam), [
      '-t', '0', '--nopreview', '--verbose=0', '--camera', '0', '--width', '1280', '--height', '720', '--framerate', '30', '--codec', 'yuv420', '--flush', '-o', '-',
    ]);
  });

  it('carry camera index, flips, rotation, shutter and gain', () => {
    const args = rpicamArgs({ ...rpicam, codec: 'mjpeg', mjpegQuality: 70, index: 1, hflip: true, vflip: true, rotation: 180, exposureUs: 200000, gain: 8, fps: 2.5 });
    assert.deepEqual(args.slice(args.indexOf('--codec')), [
      '--codec', 'mjpeg', '--quality', '70', '--flush', '--hflip', '--vflip', '--rotation', '180', '--shutter', '200000', '--gain', '8', '-o', '-',
    ]);
    assert.equal(args[args.indexOf('--framerate') + 1], '2.5');
    assert.equal(args[args.indexOf('--camera') + 1], '1');
  });

  it('read the camera list', () => {
    const output = 'Available cameras\n-----------------\n0 : imx708 [4608x2592 10-bit RGGB] (/base/x)\n    Modes: ...\n1 : ov5647 [2592x1944] (/base/y)\n';
    assert.deepEqual(parseCameraList(output), [0, 1]);
    assert.deepEqual(parseCameraList('No cameras available!'), []);
  });
});

describe('ffmpeg arguments', () => {
  const out = { width: 320, height: 240, format: 'rgb24' as const, hflip: false, vflip: false, rotation: 0 as const };

  it('read a V4L2 device and write raw frames of the configured size', () => {
    assert.deepEqual(ffmpegV4l2Args({ ...out, device: '/dev/video2', fps: 15 }), [
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'v4l2', '-framerate', '15', '-video_size', '320x240', '-i', '/dev/video2',
      '-vf', 'scale=320:240', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
    ]);
  });

  it("ask a webcam for MJPEG when its raw stream would be too slow", () => {
    const args = ffmpegV4l2Args({ ...out, device: '/dev/video0', fps: 30, mjpegInput: true });
    assert.deepEqual(args.slice(args.indexOf('-input_format'), args.indexOf('-i') + 2), ['-input_format', 'mjpeg', '-i', '/dev/video0']);
    assert.deepEqual(args.slice(-6), ['scale=320:240', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
  });

  it("pass a webcam's own MJPEG through untouched, re-encoding only to flip", () => {
    const mjpeg = ffmpegV4l2Args({ ...out, format: 'mjpeg', device: '/dev/video0', fps: 30 });
    assert.ok(mjpeg.includes('-input_format'));
    assert.deepEqual(mjpeg.slice(-5), ['-c:v', 'copy', '-f', 'mjpeg', 'pipe:1']);
    const flipped = ffmpegV4l2Args({ ...out, format: 'mjpeg', device: '/dev/video0', fps: 30, hflip: true });
    assert.deepEqual(flipped.slice(-9), ['-vf', 'hflip', '-c:v', 'mjpeg', '-q:v', '3', '-f', 'mjpeg', 'pipe:1']);
  });

  it('replay a file in a loop at its own rate, rotated 180 as two flips', () => {
    const args = ffmpegFileArgs({ ...out, format: 'yuv420', file: '/clips/a.mp4', rotation: 180 });
    assert.deepEqual(args.slice(4, 10), ['-re', '-stream_loop', '-1', '-i', '/clips/a.mp4', '-an']);
    assert.deepEqual(args.slice(-7), ['-vf', 'scale=320:240:out_range=full,hflip,vflip', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1']);
  });
});

describe('exposure limits', () => {
  it('clamp the shutter to the frame duration and the sensor maximum, and say which', async () => {
    const { exposureInForce, floorFps, SENSOR_MAX_EXPOSURE_US } = await import('../../../src/core/capture/exposure-limits.js');
    const day = exposureInForce({ exposure: { exposureUs: 50_000, gain: 1 }, fps: 30 }, SENSOR_MAX_EXPOSURE_US.imx708);
    assert.deepEqual(day, { exposureUs: 33_333, gain: 1, clamped: 'the frame duration at 30 fps, 33333 µs' });
    const v1 = exposureInForce({ exposure: { exposureUs: 10_000_000, gain: 8 }, fps: 0.1 }, SENSOR_MAX_EXPOSURE_US.ov5647);
    assert.equal(v1.exposureUs, 3_280_000);
    assert.match(v1.clamped ?? '', /sensor's longest exposure/);
    assert.equal(exposureInForce({ exposure: { exposureUs: 200_000, gain: 8 }, fps: 5 }, undefined).clamped, undefined);
    // 1e6 / 150000 = 6.6667 fps: rounded down, so the frame (150007 µs) holds the whole shutter.
    assert.equal(floorFps(1e6 / 150_000), 6.666);
    assert.ok(1e6 / floorFps(1e6 / 150_000) >= 150_000);
  });

  it('read the sensor of a camera from the listing', async () => {
    const { parseCameraSensor } = await import('../../../src/core/capture/rpicam-args.js');
    const output = 'Available cameras\n-----------------\n0 : imx708_wide [4608x2592 10-bit RGGB] (/base/x)\n1 : ov5647 [2592x1944] (/base/y)\n';
    assert.equal(parseCameraSensor(output, 0), 'imx708');
    assert.equal(parseCameraSensor(output, 1), 'ov5647');
    assert.equal(parseCameraSensor(output, 2), undefined);
  });
});

describe('V4L2 listings', () => {
  it('find MJPEG in the format listing and map exposure/gain into the device ranges', async () => {
    const { offersMjpeg, parseControls, manualExposureControls } = await import('../../../src/core/capture/v4l2-controls.js');
    const formats = '[video4linux2,v4l2 @ 0x1] Raw       :     yuyv422 :           YUYV 4:2:2 : 640x480 1280x720\n[video4linux2,v4l2 @ 0x1] Compressed:       mjpeg :          Motion-JPEG : 640x480 1280x720\n';
    assert.equal(offersMjpeg(formats, 1280, 720), true);
    assert.equal(offersMjpeg(formats, 1920, 1080), false);
    assert.equal(offersMjpeg(formats.split('\n')[0]!, 1280, 720), false);
    const controls = parseControls('  gain 0x00980913 (int)    : min=16 max=64 step=1 default=16 value=16\n  exposure_auto 0x009a0901 (menu)   : min=0 max=3 default=3\n  exposure_absolute 0x009a0902 (int)    : min=1 max=10000 step=1\n');
    assert.deepEqual(controls, { gain: { name: 'gain', min: 16, max: 64 }, auto: 'exposure_auto', exposure: { name: 'exposure_absolute', min: 1, max: 10000 } });
    assert.deepEqual(manualExposureControls(controls, 40_000, 16), { set: 'exposure_auto=1,exposure_absolute=400,gain=64', notes: [] });
  });
});
