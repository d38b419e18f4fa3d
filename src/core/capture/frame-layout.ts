/**
 * How a raw I420 frame lies in the bytes a camera tool writes. rpicam-vid
 * (`--codec yuv420 -o -`) writes each camera buffer whole, and the ISP pads
 * every row: the Y stride is ALIGN(width, 64) on a Pi 4 and older
 * (bcm2835-isp), ALIGN(width, 128) on a Pi 5 (PiSP), and U and V rows are
 * padded to half the Y stride. The buffer is stride x height x 3/2 bytes.
 * picam keeps frames unpadded in the ring, so every consumer (dark score,
 * conversion, export, streaming) sees plain `width x height` planes.
 */
export interface I420Layout {
  width: number;
  height: number;
  /** Bytes from one Y row to the next on the wire. */
  yStride: number;
  /** Bytes from one U (or V) row to the next on the wire. */
  uvStride: number;
  /** Bytes of one frame on the wire. */
  wireBytes: number;
  /** Bytes of one unpadded frame (what the ring keeps). */
  packedBytes: number;
}

/** The layout of a `width x height` I420 frame whose rows are aligned to `align` bytes (1 = packed). */
export function i420Layout(width: number, height: number, align: number): I420Layout {
  const chromaWidth = Math.ceil(width / 2);
  const chromaHeight = Math.ceil(height / 2);
  const packedBytes = width * height + 2 * chromaWidth * chromaHeight;
  if (align <= 1) return { width, height, yStride: width, uvStride: chromaWidth, wireBytes: packedBytes, packedBytes };
  const yStride = Math.ceil(width / align) * align;
  const uvStride = yStride / 2;
  return { width, height, yStride, uvStride, wireBytes: yStride * height + 2 * uvStride * chromaHeight, packedBytes };
}

export function isPadded(layout: I420Layout): boolean {
  return layout.wireBytes !== layout.packedBytes;
}

/** Copies the picture rows of a padded wire frame into a packed I420 frame, leaving the padding behind. */
export function unpadI420(wire: Uint8Array, layout: I420Layout, packed: Uint8Array): void {
  const { width, height, yStride, uvStride } = layout;
  const chromaWidth = Math.ceil(width / 2);
  const chromaHeight = Math.ceil(height / 2);
  let to = 0;
  for (let y = 0; y < height; y++, to += width) packed.set(wire.subarray(y * yStride, y * yStride + width), to);
  for (let plane = 0; plane < 2; plane++) {
    const base = yStride * height + plane * uvStride * chromaHeight;
    for (let y = 0; y < chromaHeight; y++, to += chromaWidth) {
      const from = base + y * uvStride;
      packed.set(wire.subarray(from, from + chromaWidth), to);
    }
  }
}
