/** Distinct (width, quality) pictures live viewers may keep being encoded at once. */
export const MAX_LIVE_ENCODES = 4;

export interface LiveSpec {
  /** 0 = the camera's width. */
  width: number;
  quality: number | undefined;
}

export interface ClaimedSpec extends LiveSpec {
  /** `<width>x q<quality>` as served, for the X-Picam-Live header. */
  label: string;
  release(): void;
}

/**
 * What a `/live.mjpg` viewer gets encoded. Each distinct width and quality
 * costs one JPEG encode per frame, and the query string is anyone's to
 * write, so: a width is never above the camera's (no upscaling), and once
 * MAX_LIVE_ENCODES distinct pictures are being served, a viewer asking for
 * another one gets the one in use whose width is nearest. Viewers asking
 * for the same picture share its encode (SharedEncoder).
 */
export class LiveSpecs {
  private readonly inUse = new Map<string, { spec: LiveSpec; viewers: number }>();

  constructor(private readonly max = MAX_LIVE_ENCODES) {}

  claim(wanted: LiveSpec, cameraWidth: number): ClaimedSpec {
    // Widths at or above the camera's are the camera's picture; bad values (negative) go on to validation.
    const width = wanted.width >= cameraWidth ? 0 : wanted.width;
    let spec: LiveSpec = { width, quality: wanted.quality };
    let key = keyOf(spec);
    if (!this.inUse.has(key) && this.inUse.size >= this.max) {
      const effective = (s: LiveSpec): number => (s.width === 0 ? cameraWidth : s.width);
      const nearest = [...this.inUse.values()].reduce((best, entry) =>
        Math.abs(effective(entry.spec) - effective(spec)) < Math.abs(effective(best.spec) - effective(spec)) ? entry : best,
      );
      spec = nearest.spec;
      key = keyOf(spec);
    }
    const entry = this.inUse.get(key) ?? { spec, viewers: 0 };
    entry.viewers++;
    this.inUse.set(key, entry);
    let released = false;
    return {
      ...spec,
      label: `${spec.width === 0 ? cameraWidth : spec.width}w q${spec.quality ?? 80}`,
      release: () => {
        if (released) return;
        released = true;
        if (--entry.viewers === 0) this.inUse.delete(key);
      },
    };
  }
}

function keyOf(spec: LiveSpec): string {
  return `${spec.width}|${spec.quality ?? '-'}`;
}
