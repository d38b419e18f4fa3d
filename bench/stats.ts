/**
 * One figure of the bench: every run's value kept, so the JSON can be
 * compared run against run, and the table shows the median with its spread
 * (a single number from a busy 2-core machine says little on its own).
 */
export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
  values: number[];
}

export function summarize(values: readonly number[]): Summary {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: 0, values: [] };
  const sorted = [...finite].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  // Even counts average the middle pair, so two runs give their mean rather than the lower one.
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length, values: [...finite] };
}

/** Decimals that keep about three significant figures without printing noise. */
export function autoDigits(value: number): number {
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return 0;
  if (magnitude >= 10) return 1;
  if (magnitude >= 1) return 2;
  return 3;
}

export function formatNumber(value: number, digits = autoDigits(value)): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** `median (min–max)`, or the bare value for a single run. */
export function cell(summary: Summary, digits?: number): string {
  const d = digits ?? autoDigits(summary.median);
  if (summary.runs <= 1) return formatNumber(summary.median, d);
  return `${formatNumber(summary.median, d)} (${formatNumber(summary.min, d)}–${formatNumber(summary.max, d)})`;
}

/** Least-squares slope of y over x; NaN with fewer than two distinct x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return Number.NaN;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]!;
    sy += ys[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}
