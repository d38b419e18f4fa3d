import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CameraService, Encoding } from '../src/gen/picam/v1/camera_pb.js';
import { createClient } from '../test/helpers/grpc-client.js';
import { FIXTURES, startService, type Service, type StartOptions } from '../test/helpers/service.js';
import { encoderCeiling, inMemoryIngest, pipeCeiling } from './reference-ceilings.js';
import { LineClient } from '../test/helpers/sockets.js';

/**
 * `npm run bench`: figures from the real service process on loopback, printed
 * as Markdown for BENCHMARKS.md. Wall-clock figures vary with the machine;
 * CPU per frame comes from /proc, not from timers.
 */

const CLK_TCK = 100;
const MEASURE_S = Number(process.env.BENCH_SECONDS ?? 5);

interface ProcSample {
  cpuMs: number;
  rssMb: number;
}

async function sample(pid: number): Promise<ProcSample> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  const cpuMs = ((Number(stat[11]) + Number(stat[12])) * 1000) / CLK_TCK; // utime + stime
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuMs, rssMb: rssKb / 1024 };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

type Camera = ReturnType<typeof createClient<typeof CameraService extends { method: infer M } ? { [K in keyof M]: M[K] } : never>>;

async function framesCaptured(camera: Camera): Promise<number> {
  return Number((await camera.getStatus({})).source?.framesCaptured ?? 0n);
}

interface IngestCase {
  label: string;
  camera: Record<string, unknown>;
  options?: StartOptions;
}

async function ingest(width: number, height: number, framerate: number, kind: IngestCase): Promise<string> {
  const started = performance.now();
  const service = await startService({ camera: { width, height, framerate, ...kind.camera }, ring: { frames: 60 } }, kind.options);
  const startupMs = performance.now() - started;
  const camera = createClient(CameraService, service.grpcAddress) as unknown as Camera;
  try {
    await sleep(1500);
    const pid = Number(service.logs.find((l) => typeof l.pid === 'number')?.pid);
    const a = await sample(pid);
    const fa = await framesCaptured(camera);
    await sleep(MEASURE_S * 1000);
    const b = await sample(pid);
    const fb = await framesCaptured(camera);
    const frames = fb - fa;
    const status = await camera.getStatus({});
    const ringMb = Number(status.ring?.payloadBytes ?? 0n) / 1024 / 1024;
    return `| ${kind.label} | ${width}x${height} | ${framerate} | ${(frames / MEASURE_S).toFixed(1)} | ${((b.cpuMs - a.cpuMs) / frames).toFixed(2)} | ${b.rssMb.toFixed(0)} | ${ringMb.toFixed(0)} | ${startupMs.toFixed(0)} |`;
  } finally {
    camera.close();
    await service.stop();
  }
}

/** RSS after a minute of capture and a few triggers, against the budget of 1.15 x payload + 120 MB. */
async function ringMemory(): Promise<string> {
  const seconds = Number(process.env.BENCH_RSS_SECONDS ?? 60);
  const service = await startService({ camera: { source: 'synthetic', width: 1920, height: 1080, framerate: 30 }, ring: { seconds: 5 }, export: { save_before_s: 1, save_after_s: 1 } });
  const camera = createClient(CameraService, service.grpcAddress) as unknown as Camera;
  try {
    const pid = Number(service.logs.find((l) => typeof l.pid === 'number')?.pid);
    for (let t = 0; t < seconds; t += 10) {
      await camera.trigger({ formats: ['jpg'] });
      await sleep(10_000);
    }
    const { rssMb } = await sample(pid);
    const payloadMb = Number((await camera.getStatus({})).ring?.payloadBytes ?? 0n) / 1024 / 1024;
    const budget = 1.15 * payloadMb + 120;
    return `ring payload ${payloadMb.toFixed(0)} MB, RSS ${rssMb.toFixed(0)} MB after ${seconds} s (budget 1.15 x payload + 120 MB = ${budget.toFixed(0)} MB): ${rssMb <= budget ? 'within' : 'OVER'} budget.`;
  } finally {
    camera.close();
    await service.stop();
  }
}

/** Frames/s and MB/s delivered to `subscribers` concurrent StreamFrames readers on loopback. */
async function streaming(encoding: Encoding, label: string, subscribers: number): Promise<string> {
  const service = await startService({ camera: { source: 'synthetic', width: 1920, height: 1080, framerate: 30 }, ring: { seconds: 2 } });
  const camera = createClient(CameraService, service.grpcAddress) as unknown as Camera;
  try {
    await sleep(1000);
    const pid = Number(service.logs.find((l) => typeof l.pid === 'number')?.pid);
    const calls = Array.from({ length: subscribers }, () => camera.streamFrames({ encoding, quality: 80 }));
    let frames = 0;
    let bytes = 0;
    let dropped = 0;
    let measuring = false;
    const readers = calls.map(async (call) => {
      try {
        for await (const message of call.stream) {
          if (!measuring) continue;
          frames++;
          bytes += message.frame?.data.length ?? 0;
          dropped += message.dropped;
        }
      } catch {
        // cancelled
      }
    });
    await sleep(1500);
    measuring = true;
    const a = await sample(pid);
    await sleep(MEASURE_S * 1000);
    measuring = false;
    const b = await sample(pid);
    calls.forEach((call) => call.cancel());
    await Promise.all(readers);
    const perSub = frames / subscribers / MEASURE_S;
    return `| 1920x1080 | ${label} | ${subscribers} | ${perSub.toFixed(1)} | ${(bytes / MEASURE_S / 1e6).toFixed(1)} | ${(dropped / subscribers / MEASURE_S).toFixed(1)} | ${((b.cpuMs - a.cpuMs) / (MEASURE_S * 1000) * 100).toFixed(0)}% | ${b.rssMb.toFixed(0)} |`;
  } finally {
    camera.close();
    await service.stop();
  }
}

/** Does capture keep its rate while 300 frames are written in three formats? */
async function captureDuringExport(): Promise<string> {
  const service = await startService({ camera: { source: 'synthetic', width: 1920, height: 1080, framerate: 30 }, ring: { seconds: 8 }, export: { formats: ['jpg', 'png', 'npy'] } });
  const camera = createClient(CameraService, service.grpcAddress) as unknown as Camera;
  try {
    await sleep(6000);
    const before = await framesCaptured(camera);
    const t0 = performance.now();
    const event = await camera.trigger({ beforeS: 5, afterS: 5, wait: true });
    const seconds = (performance.now() - t0) / 1000;
    const captured = (await framesCaptured(camera)) - before;
    const manifest = JSON.parse(await readFile(path.join(event.dir, 'event.json'), 'utf8')) as { frames: unknown[]; missing: unknown[]; state: string };
    return `${manifest.frames.length} frames x 3 formats written in ${seconds.toFixed(1)} s (state ${manifest.state}, ${manifest.missing.length} missing ranges); capture meanwhile ${(captured / seconds).toFixed(1)} frames/s (asked 30).`;
  } finally {
    camera.close();
    await service.stop();
  }
}

async function firstFileMs(dir: string, t0: number): Promise<number> {
  for (;;) {
    const files = await readdir(dir).catch(() => [] as string[]);
    if (files.some((f) => !f.startsWith('.') && f !== 'event.json')) return performance.now() - t0;
    await sleep(2);
  }
}

async function manifestMs(dir: string, t0: number): Promise<number> {
  for (;;) {
    const files = await readdir(dir).catch(() => [] as string[]);
    if (files.includes('event.json')) return performance.now() - t0;
    await sleep(2);
  }
}

async function trigger(width: number, height: number, format: string): Promise<string> {
  const service: Service = await startService({
    camera: { width, height, framerate: 30 },
    ring: { frames: 60 },
    export: { save_before_s: 1, save_after_s: 0, formats: [format] },
  });
  try {
    await sleep(1500);
    const runs: Array<{ reply: number; first: number; complete: number; frames: number }> = [];
    for (let i = 0; i < 3; i++) {
      const client = await LineClient.connect(service.linePort);
      const t0 = performance.now();
      const reply = await client.command('SNAP');
      const replyMs = performance.now() - t0;
      client.destroy();
      const dir = reply.split(' ')[2]!;
      const first = await firstFileMs(dir, t0);
      const complete = await manifestMs(dir, t0);
      const manifest = JSON.parse(await readFile(path.join(dir, 'event.json'), 'utf8')) as { frames: unknown[] };
      runs.push({ reply: replyMs, first, complete, frames: manifest.frames.length });
      await sleep(1200);
    }
    const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
    const frames = median(runs.map((r) => r.frames));
    const complete = median(runs.map((r) => r.complete));
    return `| ${width}x${height} | ${format} | ${median(runs.map((r) => r.reply)).toFixed(1)} | ${median(runs.map((r) => r.first)).toFixed(0)} | ${complete.toFixed(0)} | ${frames} | ${((frames * 1000) / complete).toFixed(0)} |`;
  } finally {
    await service.stop();
  }
}

async function references(out: (line: string) => void): Promise<void> {
  out('### Reference lines (same run, same machine)');
  out('');
  out('| figure | 1280x720 | 1920x1080 |');
  out('| --- | --- | --- |');
  const sizes = [[1280, 720], [1920, 1080]] as const;
  for (const format of ['rgb24', 'yuv420'] as const) {
    const cells = sizes.map(([w, h]) => `${inMemoryIngest(w, h, format).toFixed(3)} ms`);
    out(`| in-memory ingest, ${format}: ring write + dark score + metadata, CPU per frame | ${cells.join(' | ')} |`);
  }
  const pipes = [];
  for (const [w, h] of sizes) pipes.push(await pipeCeiling(w, h, 3));
  out(`| source ceiling: ffmpeg rgb24 through a pipe into Node, discarded | ${pipes.map((p) => `${p.fps.toFixed(0)} fps, ${p.cpuMs.toFixed(2)} ms CPU/frame`).join(' | ')} |`);
  for (const format of ['jpeg', 'png'] as const) {
    const cells = [];
    for (const [w, h] of sizes) cells.push(`${(await encoderCeiling(w, h, format)).toFixed(0)} frames/s`);
    out(`| encoder ceiling: sharp ${format === 'jpeg' ? 'JPEG q90 (no mozjpeg, no optimised tables)' : 'PNG level 1'}, 2 processes | ${cells.join(' | ')} |`);
  }
  out('');
}

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY === 'reference') {
    await references((line) => process.stdout.write(line + '\n'));
    return;
  }
  if (process.env.BENCH_ONLY === 'trigger') {
    for (const [w, h] of [[1280, 720], [1920, 1080]] as const) {
      for (const format of ['jpg', 'png', 'npy', 'mp4']) process.stdout.write((await trigger(w, h, format)) + '\n');
    }
    return;
  }
  if (process.env.BENCH_ONLY === 'stream') {
    for (const subscribers of [1, 4]) {
      process.stdout.write((await streaming(Encoding.JPEG, 'JPEG q80', subscribers)) + '\n');
      process.stdout.write((await streaming(Encoding.RAW, 'RAW rgb24', subscribers)) + '\n');
    }
    return;
  }
  const lines: string[] = [];
  const out = (line: string): void => {
    lines.push(line);
    process.stdout.write(line + '\n');
  };
  out(`Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${MEASURE_S} s windows.`);
  out('');
  await references(out);
  out('### Ingest (source, dark score, ring write)');
  out('');
  out('| source | size | asked fps | sustained fps | CPU ms/frame | RSS MB | ring payload MB | start-up ms |');
  out('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const clips = await mkdtemp(path.join(os.tmpdir(), 'picam-bench-'));
  try {
    for (const [w, h] of [[1280, 720], [1920, 1080]] as const) {
      const clip = path.join(clips, `${w}x${h}.mkv`);
      execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=30`, '-t', '4', '-c:v', 'mjpeg', '-q:v', '3', '-y', clip]);
      const cases: IngestCase[] = [
        { label: 'synthetic rgb24', camera: { source: 'synthetic' } },
        { label: 'file (ffmpeg pipe) rgb24', camera: { source: 'file', file: clip, codec: 'rgb' } },
        { label: 'file (ffmpeg pipe) yuv420', camera: { source: 'file', file: clip, codec: 'yuv420' } },
        { label: 'rpicam-vid (fake) yuv420', camera: { source: 'rpicam' }, options: { pathPrepend: [path.join(FIXTURES, 'bin')] } },
      ];
      for (const kind of cases) out(await ingest(w, h, 30, kind));
      out(await ingest(w, h, 240, { label: 'synthetic rgb24', camera: { source: 'synthetic' } }));
    }
  } finally {
    await rm(clips, { recursive: true, force: true });
  }
  out('');
  out('### StreamFrames to real grpc-js clients on loopback (synthetic 1920x1080 at 30 fps)');
  out('');
  out('Per subscriber frames/s; MB/s summed over subscribers; dropped/s per subscriber; service CPU (100% = one core).');
  out('');
  out('| size | encoding | subscribers | frames/s each | MB/s total | dropped/s each | service CPU | RSS MB |');
  out('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const subscribers of [1, 4]) {
    out(await streaming(Encoding.JPEG, 'JPEG q80', subscribers));
    out(await streaming(Encoding.RAW, 'RAW rgb24', subscribers));
  }
  out('');
  out('### Resident memory against the ring (synthetic 1920x1080 rgb24, ring 5 s, after 60 s)');
  out('');
  out(await ringMemory());
  out('');
  out('### Trigger (SNAP over TCP, before_s=1, after_s=0, medians of 3)');
  out('');
  out('| size | format | reply ms | first file ms | complete ms | frames | frames/s written |');
  out('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [w, h] of [[1280, 720], [1920, 1080]] as const) {
    for (const format of ['jpg', 'png', 'npy', 'mp4']) out(await trigger(w, h, format));
  }
  out('');
  out('### Capture during a large export (synthetic 1920x1080 at 30 fps, SNAP before=5 after=5, jpg+png+npy)');
  out('');
  out(await captureDuringExport());
}

await main();
