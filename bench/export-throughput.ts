import { repeat, sizeLabel, type BenchContext } from './context.js';
import { snapWithCapture, warmUpExport } from './event-watch.js';
import type { Size } from './options.js';
import { cpuPercent, sleep } from './proc.js';
import { progress } from './report.js';
import { recordCapture } from './trigger-latency.js';
import { benchService, type BenchService } from './service.js';
import { requireFfmpeg } from './tools.js';

const EXPORT_SETS = ['jpg', 'png', 'npy', 'jpg,png,npy', 'mp4'] as const;
/** Figure ids of the table's rows, for the targets. */
export const EXPORT_ROWS = [...EXPORT_SETS.map((set) => set.replaceAll(',', '+')), 'dark-jpg', 'dark-jpg-stack'];

/**
 * Export throughput: SNAP with an after-window of 0, so every frame is
 * already in the ring and the export runs as fast as it can while capture
 * goes on at 30 frames/s. Frames/s is frames written over SNAP → event.json;
 * service CPU (200% = both cores) shows how much of the machine it used.
 */
export async function exportThroughput({ profile, report }: BenchContext): Promise<void> {
  requireFfmpeg(); // mp4
  const beforeS = profile.exportBeforeS;
  const rows: string[][] = [];
  const measure = async (bench: BenchService, size: Size, id: string, label: string, command: string): Promise<void> => {
    const s = sizeLabel(size);
    progress(`export ${s} ${label}`);
    const key = `export.${id}.${s}`;
    const runs = await repeat(profile.runs, async () => {
      const a = await bench.sample();
      const { event, capture } = await snapWithCapture(bench, command);
      const b = await bench.sample();
      return { event, capture, cpu: cpuPercent(a, b) };
    });
    report.figure(`${key}.fps`, 'frames/s', runs.map((r) => (r.event.manifest.frames.length * 1000) / r.event.completeMs));
    report.figure(`${key}.frames`, 'frames', runs.map((r) => r.event.manifest.frames.length));
    report.figure(`${key}.stacks`, 'images', runs.map((r) => r.event.manifest.stacks.length));
    report.figure(`${key}.complete_ms`, 'ms', runs.map((r) => r.event.completeMs));
    report.figure(`${key}.cpu_percent`, '% of one core', runs.map((r) => r.cpu));
    recordCapture(report, key, runs.map((r) => r.capture));
    rows.push([s, label, report.cell(`${key}.frames`, 0), report.cell(`${key}.stacks`, 0), report.cell(`${key}.complete_ms`, 0), report.cell(`${key}.fps`), report.cell(`${key}.cpu_percent`, 0), report.cell(`${key}.capture_fps`, 1)]);
  };
  const camera = (size: Size): Record<string, unknown> => ({ source: 'synthetic', width: size[0], height: size[1], framerate: 30 });
  // Slower formats write below the capture rate: 4 s of headroom keeps the window's oldest frames from being overwritten mid-export.
  const ring = { seconds: beforeS + 4 };
  for (const size of profile.sizes) {
    const day = await benchService({ camera: camera(size), ring });
    try {
      await sleep((beforeS + profile.settleS) * 1000);
      await warmUpExport(day.service.linePort);
      for (const set of EXPORT_SETS) await measure(day, size, set.replaceAll(',', '+'), set.replaceAll(',', '+'), `SNAP before=${beforeS} after=0 formats=${set}`);
    } finally {
      await day.stop();
    }
    // A dark scene (short day exposure, night mode off so it stays dark): every frame is a stacking candidate.
    const dark = await benchService({ camera: { ...camera(size), exposure_us: 1500 }, night: { enable: false }, ring, export: { stack_count: 4 } });
    try {
      await sleep((beforeS + profile.settleS) * 1000);
      await warmUpExport(dark.service.linePort);
      await measure(dark, size, 'dark-jpg', 'jpg, dark scene, stacking off', `SNAP before=${beforeS} after=0 formats=jpg stack=off`);
      await measure(dark, size, 'dark-jpg-stack', 'jpg, dark scene, stacking on (4 frames a stack)', `SNAP before=${beforeS} after=0 formats=jpg stack=on`);
    } finally {
      await dark.stop();
    }
  }
  report.heading(`Export throughput (SNAP before=${beforeS} after=0: the window already in the ring; synthetic at 30 frames/s)`);
  report.line(`Medians of ${profile.runs} SNAP(s) per row after one unmeasured warm-up export, (min–max). frames/s = frames written / (SNAP → event.json). Service CPU: 100% = one core, 200% = both. Capture fps during: what the source took in while the export ran (asked 30); a row with fewer frames than its window had its window captured while the previous export held the event loop.`);
  report.line();
  report.table(['size', 'formats', 'frames', 'stacks', 'SNAP → event.json ms', 'frames/s', 'service CPU %', 'capture fps during'], rows);
}
