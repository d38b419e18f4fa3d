import path from 'node:path';
import { FIXTURES, type StartOptions } from '../test/helpers/service.js';
import { repeat, sizeLabel, type BenchContext } from './context.js';
import type { Size } from './options.js';
import { sleep } from './proc.js';
import { FAST_CLIP_RATE } from './reference-lines.js';
import { progress } from './report.js';
import { benchService, type BenchService } from './service.js';
import { requireFfmpeg } from './tools.js';

interface IngestCase {
  id: string;
  label: string;
  askedFps: number | 'max';
  /** Run in quick mode too: one case per source kind. */
  smoke?: boolean;
  camera: (size: Size) => Promise<Record<string, unknown>>;
  options?: StartOptions;
}

/** Frames/s and CPU ms per frame of one running service, over `runs` back-to-back windows. */
export async function captureWindows(bench: BenchService, runs: number, windowS: number): Promise<Array<{ fps: number; cpuMs: number; cpuPercent: number }>> {
  return repeat(runs, async () => {
    const a = await bench.sample();
    const fa = await bench.status();
    await sleep(windowS * 1000);
    const b = await bench.sample();
    const fb = await bench.status();
    const frames = fb.captured - fa.captured;
    const seconds = (fb.atMs - fa.atMs) / 1000;
    return { fps: frames / seconds, cpuMs: (b.cpuMs - a.cpuMs) / frames, cpuPercent: ((b.cpuMs - a.cpuMs) / (b.atMs - a.atMs)) * 100 };
  });
}

/**
 * Ingest per source and size: the service alone, capturing into the ring
 * with dark scores, nothing exported or streamed. `max` feeds frames as fast
 * as the source goes (synthetic at 240 frames/s, the clip at 1000 frames/s
 * through `-re`), so the sustained rate is the pipeline's ceiling.
 */
export async function ingest({ profile, report, clips }: BenchContext): Promise<void> {
  requireFfmpeg();
  const cases: IngestCase[] = [
    { id: 'synthetic-rgb24', label: 'synthetic rgb24', askedFps: 30, smoke: true, camera: async () => ({ source: 'synthetic' }) },
    { id: 'synthetic-rgb24', label: 'synthetic rgb24', askedFps: 'max', camera: async () => ({ source: 'synthetic' }) },
    { id: 'file-rgb24', label: 'file (ffmpeg pipe) rgb24', askedFps: 30, camera: async ([w, h]) => ({ source: 'file', codec: 'rgb', file: await clips.get(w, h, 30) }) },
    { id: 'file-rgb24', label: 'file (ffmpeg pipe) rgb24', askedFps: 'max', smoke: true, camera: async ([w, h]) => ({ source: 'file', codec: 'rgb', file: await clips.get(w, h, FAST_CLIP_RATE) }) },
    { id: 'file-yuv420', label: 'file (ffmpeg pipe) yuv420', askedFps: 30, camera: async ([w, h]) => ({ source: 'file', codec: 'yuv420', file: await clips.get(w, h, 30) }) },
    { id: 'rpicam-fake-yuv420', label: 'rpicam-vid (fake) yuv420', askedFps: 30, smoke: true, camera: async () => ({ source: 'rpicam' }), options: { pathPrepend: [path.join(FIXTURES, 'bin')] } },
  ];
  const rows: string[][] = [];
  for (const size of profile.sizes) {
    const s = sizeLabel(size);
    for (const kind of cases.filter((c) => profile.everyCase || c.smoke)) {
      progress(`ingest ${kind.label} ${s} ${kind.askedFps}`);
      const key = `ingest.${kind.id}.${s}.${kind.askedFps}`;
      const framerate = kind.askedFps === 'max' ? 240 : kind.askedFps;
      const bench = await benchService({ camera: { width: size[0], height: size[1], framerate, ...(await kind.camera(size)) }, ring: { frames: 60 } }, kind.options);
      try {
        await sleep(profile.settleS * 1000);
        const windows = await captureWindows(bench, profile.runs, profile.windowS);
        const status = await bench.camera.getStatus({});
        const last = await bench.sample();
        report.figure(`${key}.fps`, 'frames/s', windows.map((w) => w.fps));
        report.figure(`${key}.cpu_ms`, 'ms/frame', windows.map((w) => w.cpuMs));
        report.figure(`${key}.rss_mb`, 'MB', [last.rssMb]);
        report.figure(`${key}.ring_mb`, 'MB', [Number(status.ring?.payloadBytes ?? 0n) / 2 ** 20]);
        report.figure(`${key}.startup_ms`, 'ms', [bench.startupMs]);
        rows.push([kind.label, s, String(kind.askedFps), report.cell(`${key}.fps`), report.cell(`${key}.cpu_ms`), report.cell(`${key}.rss_mb`, 0), report.cell(`${key}.ring_mb`, 0), report.cell(`${key}.startup_ms`, 0)]);
      } finally {
        await bench.stop();
      }
    }
  }
  report.heading('Ingest (source, dark score, ring write; nothing exported or streamed)');
  report.line(`Medians of ${profile.runs} back-to-back ${profile.windowS} s window(s) per case, (min–max). CPU is the picam process only (user+system from /proc), not ffmpeg or the camera tool. \`max\`: synthetic at 240 frames/s asked, the clip at ${FAST_CLIP_RATE} frames/s replayed with \`-re\`.`);
  report.line();
  report.table(['source', 'size', 'asked fps', 'sustained fps', 'CPU ms/frame', 'RSS MB', 'ring payload MB', 'start-up ms'], rows);
}
