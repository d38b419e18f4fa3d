import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { randomFillSync } from 'node:crypto';
import { i420JpegEncoder, i420JpegPath, type I420JpegEncoder } from '../../../src/core/pixels/i420-jpeg.js';
import { i420ToRgb } from '../../../src/core/pixels/i420-to-rgb.js';

/**
 * A camera-ish I420 frame that stays inside the RGB gamut: a luma ramp with a
 * bright and a dark block, and chroma that drifts gently across the frame.
 * Full range; `limited` squeezes it into 16-235 / 16-240.
 */
function scene(width: number, height: number, range: 'full' | 'limited'): Uint8Array {
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const out = new Uint8Array(width * height + 2 * cw * ch);
  const luma = (v: number): number => (range === 'full' ? v : Math.round(16 + (v * 219) / 255));
  const chroma = (v: number): number => (range === 'full' ? v : Math.round(128 + ((v - 128) * 224) / 255));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 40 + Math.round((170 * x) / Math.max(1, width - 1));
      if (x > width / 4 && x < width / 2 && y > height / 4 && y < height / 2) v = 220;
      if (x > width / 2 && y > height / 2) v = 25;
      out[y * width + x] = luma(v);
    }
  }
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      out[width * height + y * cw + x] = chroma(118 + Math.round((20 * y) / Math.max(1, ch - 1)));
      out[width * height + cw * ch + y * cw + x] = chroma(138 - Math.round((20 * x) / Math.max(1, cw - 1)));
    }
  }
  return out;
}

async function decoded(jpeg: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

function encoder(): I420JpegEncoder {
  const encode = i420JpegEncoder();
  assert.ok(encode, `the native encoder must be built here (apt-get install libturbojpeg0-dev, then npm run build): ${i420JpegPath().detail}`);
  return encode;
}

describe('JPEG straight from I420 planes (native, libjpeg-turbo)', () => {
  it('is built and loaded on this machine: the path exports, streams and the compressed tier take', () => {
    const path = i420JpegPath();
    assert.equal(path.native, true, path.detail);
    assert.match(path.detail, /libjpeg-turbo/);
  });

  for (const range of ['full', 'limited'] as const) {
    it(`${range} range: the JPEG decodes to the picture i420ToRgb shows, as closely as sharp's JPEG of that RGB does`, async () => {
      const [width, height] = [320, 240];
      const planes = scene(width, height, range);
      const rgb = new Uint8Array(width * height * 3);
      i420ToRgb(planes, width, height, rgb, range);
      const native = await decoded(await encoder()(planes, width, height, range, 90));
      assert.deepEqual([native.width, native.height, native.channels], [width, height, 3]);
      const viaRgb = await decoded(await sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
      const nativeError = meanAbsDiff(native.data, rgb);
      const sharpError = meanAbsDiff(viaRgb.data, rgb);
      assert.ok(nativeError < 2, `native JPEG differs from the RGB by ${nativeError.toFixed(2)} levels on average`);
      assert.ok(nativeError <= sharpError + 0.5, `native ${nativeError.toFixed(2)} against sharp's ${sharpError.toFixed(2)}`);
    });
  }

  it('a limited-range frame comes out stretched to full range: black 16 -> 0, white 235 -> 255', async () => {
    const [width, height] = [64, 32];
    const planes = new Uint8Array(width * height * 1.5).fill(128);
    planes.fill(16, 0, (width * height) / 2); // top half video black
    planes.fill(235, (width * height) / 2, width * height); // bottom half video white
    const { data } = await decoded(await encoder()(planes, width, height, 'limited', 95));
    const top = data[(4 * width + 8) * 3]!;
    const bottom = data[((height - 4) * width + 8) * 3]!;
    assert.ok(top <= 2, `black decoded as ${top}`);
    assert.ok(bottom >= 253, `white decoded as ${bottom}`);
  });

  it('odd sizes (chroma planes of ceil(w/2) x ceil(h/2)) encode whole', async () => {
    for (const [width, height] of [[33, 17], [1, 1], [641, 481]] as const) {
      const { width: w, height: h } = await decoded(await encoder()(scene(width, height, 'full'), width, height, 'full', 80));
      assert.deepEqual([w, h], [width, height]);
    }
  });

  it('leaves the planes untouched, and encodes run in parallel give the bytes one at a time gives', async () => {
    const [width, height] = [640, 480];
    const frames = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => {
      const f = scene(width, height, i % 2 === 0 ? 'full' : 'limited');
      f[i * 1000] = 255 - f[i * 1000]!; // each frame its own
      return f;
    });
    const copies = frames.map((f) => Uint8Array.from(f));
    const encode = encoder();
    const one: Buffer[] = [];
    for (const [i, f] of frames.entries()) one.push(await encode(f, width, height, i % 2 === 0 ? 'full' : 'limited', 85));
    const all = await Promise.all(frames.map((f, i) => encode(f, width, height, i % 2 === 0 ? 'full' : 'limited', 85)));
    for (let i = 0; i < frames.length; i++) {
      assert.ok(all[i]!.equals(one[i]!), `frame ${i}: same JPEG in parallel`);
      assert.deepEqual(frames[i], copies[i], `frame ${i}: planes unchanged`);
    }
  });

  it('quality is libjpeg\'s scale: a higher quality makes a larger file', async () => {
    const planes = scene(320, 240, 'full');
    const low = await encoder()(planes, 320, 240, 'full', 30);
    const high = await encoder()(planes, 320, 240, 'full', 95);
    assert.ok(high.length > low.length * 1.5, `q95 ${high.length} bytes against q30 ${low.length}`);
  });

  it('JPEGs larger than any first guess (q100 of noise, every pool thread at once) come out whole and stay whole', async () => {
    // Before the encoder wrote into a worst-case buffer, libjpeg-turbo grew a too-small one and freed the JPEG
    // its compressor had grown on the call before, one already handed over: this crashed the process.
    const [width, height] = [1280, 720];
    const frames = [0, 1, 2, 3].map(() => randomFillSync(new Uint8Array(width * height * 1.5)));
    const encode = encoder();
    const kept: Buffer[] = [];
    for (let round = 0; round < 6; round++) {
      kept.push(...(await Promise.all(frames.map((f) => encode(f, width, height, 'full', 100)))));
    }
    const firstGuess = (width * height) / 2 + 65536; // what the encoder used to start with
    assert.ok(kept[0]!.length > firstGuess, `a q100 JPEG of noise (${kept[0]!.length} bytes) outgrows ${firstGuess}`);
    for (const [i, jpeg] of kept.entries()) {
      assert.ok(jpeg.equals(kept[i % 4]!), `JPEG ${i} unchanged and equal to its first encode`);
      const { width: w, height: h } = await sharp(jpeg).metadata();
      assert.deepEqual([w, h], [width, height], `JPEG ${i} decodes`);
    }
  });

  it('bad arguments throw at once with what is wrong, nothing is encoded', () => {
    const encode = encoder();
    assert.throws(() => void encode(new Uint8Array(100), 64, 48, 'full', 90), (e: Error) => e instanceof RangeError && /100 bytes; 64x48 I420 needs 4608/.test(e.message));
    assert.throws(() => void encode(new Uint8Array(4608), 64, 48, 'full', 0), (e: Error) => e instanceof RangeError && /quality must be 1-100/.test(e.message));
    assert.throws(() => void encode(new Uint8Array(4608), 0, 48, 'full', 90), (e: Error) => e instanceof RangeError && /width and height/.test(e.message));
    assert.throws(() => void encode(new Float32Array(4608) as unknown as Uint8Array, 64, 48, 'full', 90), (e: Error) => e instanceof TypeError && /Uint8Array/.test(e.message));
  });
});
