import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { i420ToRgb, i420ToRgbScalar, simdActive } from '../../../src/core/pixels/i420-to-rgb.js';

/** A frame of random I420 bytes (seeded, so a failure repeats). */
function randomI420(width: number, height: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2));
  let s = seed;
  for (let i = 0; i < bytes.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    bytes[i] = s >>> 24;
  }
  return bytes;
}

describe('I420 to RGB, WebAssembly SIMD', () => {
  it('is the path taken on this Node (not the scalar fallback)', () => {
    i420ToRgb(randomI420(32, 2, 1), 32, 2, new Uint8Array(32 * 2 * 3), 'full');
    assert.equal(simdActive(), true);
  });

  // Sizes with columns past the last whole 16, odd widths and heights, and the frame sizes picam runs at.
  for (const [width, height] of [[16, 2], [17, 3], [34, 5], [333, 101], [640, 480], [1280, 720]] as const) {
    for (const range of ['full', 'limited'] as const) {
      it(`${width}x${height} ${range}: every channel within ${range === 'full' ? 1 : 2} of the scalar formula, most equal`, () => {
        const src = randomI420(width, height, width * height);
        const simd = new Uint8Array(width * height * 3).fill(7);
        const scalar = new Uint8Array(width * height * 3);
        i420ToRgb(src, width, height, simd, range);
        i420ToRgbScalar(src, width, height, scalar, range, 0, width, 0, height);
        let worst = 0;
        let differing = 0;
        for (let i = 0; i < simd.length; i++) {
          const d = Math.abs(simd[i]! - scalar[i]!);
          worst = Math.max(worst, d);
          if (d > 0) differing++;
        }
        assert.ok(worst <= (range === 'full' ? 1 : 2), `worst difference ${worst}`);
        assert.ok(differing / simd.length < 0.25, `${differing} of ${simd.length} bytes differ`);
      });
    }
  }

  it('clamps: saturated chroma on black and white stays within 0-255 without wrapping', () => {
    const width = 32;
    const height = 2;
    const src = new Uint8Array(width * height + 2 * 16);
    src.fill(255, 0, width); // top row white, bottom row black
    src.fill(0, width * height, width * height + 16); // U = 0
    src.fill(255, width * height + 16); // V = 255
    const out = new Uint8Array(width * height * 3);
    i420ToRgb(src, width, height, out, 'full');
    // White row (Y 255, U 0, V 255): R = 255 + 178 clamps at 255, G = 255 + 44 - 91 = 208, B = 255 - 227 = 28.
    assert.deepEqual([...out.subarray(0, 3)], [255, 208, 28]);
    // Black row: R = 178, G and B clamp at 0.
    const black = out.subarray(width * 3, width * 3 + 3);
    assert.deepEqual([...black], [178, 0, 0]);
  });
});
