import { repeat, sizeLabel, type BenchContext } from './context.js';
import { snapWithCapture, warmUpExport, type CaptureDuringExport } from './event-watch.js';
import type { Size } from './options.js';
import { sleep } from './proc.js';
import { progress, type Report } from './report.js';
import { benchService, type BenchService } from './service.js';

export const FORMAT_SETS = ['jpg', 'png', 'npy', 'jpg,png,npy'] as const;
const ASKED_FPS = 30;

export function recordCapture(report: Report, key: string, runs: CaptureDuringExport[]): void {
  report.figure(`${key}.lost`, 'frames', runs.map((r) => r.lost));
  report.figure(`${key}.dropped`, 'frames', runs.map((r) => r.dropped));
  report.figure(`${key}.capture_fps`, 'frames/s', runs.map((r) => r.captureFps));
  report.figure(`${key}.fps_before`, 'frames/s', runs.map((r) => r.fpsBefore));
  report.figure(`${key}.fps_after`, 'frames/s', runs.map((r) => r.fpsAfter));
}

/**
 * Trigger latency per format set with the issue's 2 s before + 2 s after
 * window, on a running 30 frames/s service, and capture while it exports;
 * then one long export (5 s + 5 s in all three formats at the largest size).
 */
export async function triggerLatency({ profile, report }: BenchContext): Promise<void> {
  const { beforeS, afterS } = profile.trigger;
  const long = profile.longExport;
  const rows: string[][] = [];
  for (const size of profile.sizes) {
    const s = sizeLabel(size);
    const holdsLong = sizeLabel(long.size) === s;
    // The long export writes slower than capture at 1080p: 3 s of headroom keeps its oldest frames from being overwritten.
    const ringS = Math.max(beforeS + 1, holdsLong ? long.beforeS + 3 : 0);
    const bench = await benchService({ camera: { source: 'synthetic', width: size[0], height: size[1], framerate: ASKED_FPS }, ring: { seconds: ringS }, export: { save_before_s: beforeS, save_after_s: afterS } });
    try {
      await sleep((beforeS + profile.settleS) * 1000);
      await warmUpExport(bench.service.linePort);
      for (const set of FORMAT_SETS) {
        progress(`trigger ${s} ${set}`);
        const key = `trigger.${set.replaceAll(',', '+')}.${s}`;
        const runs = await repeat(profile.runs, () => snapWithCapture(bench, `SNAP formats=${set}`));
        report.figure(`${key}.reply_ms`, 'ms', runs.map((r) => r.event.replyMs));
        report.figure(`${key}.first_file_ms`, 'ms', runs.map((r) => r.event.firstFileMs));
        report.figure(`${key}.complete_ms`, 'ms', runs.map((r) => r.event.completeMs));
        report.figure(`${key}.frames`, 'frames', runs.map((r) => r.event.manifest.frames.length));
        recordCapture(report, key, runs.map((r) => r.capture));
        rows.push([s, set.replaceAll(',', '+'), report.cell(`${key}.reply_ms`, 1), report.cell(`${key}.first_file_ms`, 0), report.cell(`${key}.complete_ms`, 0), report.cell(`${key}.frames`, 0), report.cell(`${key}.capture_fps`, 1), report.cell(`${key}.lost`, 0), report.cell(`${key}.dropped`, 0), `${report.cell(`${key}.fps_before`, 1)} → ${report.cell(`${key}.fps_after`, 1)}`]);
      }
      if (holdsLong) await longExport(bench, { profile, report }, size);
    } finally {
      await bench.stop();
    }
  }
  report.heading(`Trigger (SNAP over TCP, ${beforeS} s before + ${afterS} s after, synthetic at ${ASKED_FPS} frames/s)`);
  report.line(`Medians of ${profile.runs} SNAP(s) per row after one unmeasured warm-up export, (min–max). Times are from SNAP sent: \`reply\` the OK line, \`first file\` the first frame file renamed into place (inotify), \`event.json\` the manifest, written last. Capture while the export ran: frames/s captured, frames lost against ${ASKED_FPS} frames/s, the source's dropped counter, and GetStatus fps before → after.`);
  report.line();
  report.table(['size', 'formats', 'reply ms', 'first file ms', 'event.json ms', 'frames', 'capture fps during', 'frames lost', 'dropped', 'fps before → after'], rows);
  const key = `longexport.${sizeLabel(long.size)}`;
  if (report.get(`${key}.seconds`)) {
    report.heading(`Capture during a long export (synthetic ${sizeLabel(long.size)} at ${ASKED_FPS} frames/s, SNAP before=${long.beforeS} after=${long.afterS}, jpg+png+npy)`);
    report.table(['frames written', 'seconds to event.json', 'state', 'capture fps during', 'frames lost', 'dropped'], [
      [report.cell(`${key}.frames`, 0), report.cell(`${key}.seconds`, 1), (report.info.longExportStates as string | undefined) ?? '', report.cell(`${key}.capture_fps`, 1), report.cell(`${key}.lost`, 0), report.cell(`${key}.dropped`, 0)],
    ]);
  }
}

async function longExport(bench: BenchService, { profile, report }: Pick<BenchContext, 'profile' | 'report'>, size: Size): Promise<void> {
  const { beforeS, afterS } = profile.longExport;
  const key = `longexport.${sizeLabel(size)}`;
  const states: string[] = [];
  const runs = await repeat(profile.runs, async () => {
    progress(`long export ${sizeLabel(size)}`);
    const run = await snapWithCapture(bench, `SNAP before=${beforeS} after=${afterS} formats=jpg,png,npy`);
    states.push(`${run.event.manifest.state} (${run.event.manifest.missing.length} missing)`);
    return run;
  });
  report.figure(`${key}.frames`, 'frames', runs.map((r) => r.event.manifest.frames.length));
  report.figure(`${key}.seconds`, 's', runs.map((r) => r.event.completeMs / 1000));
  recordCapture(report, key, runs.map((r) => r.capture));
  report.info.longExportStates = states.join(', ');
}
