import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CameraService } from '../src/gen/picam/v1/camera_pb.js';
import { createClient } from '../test/helpers/grpc-client.js';
import { startService, type Service } from '../test/helpers/service.js';
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

async function ingest(width: number, height: number, framerate: number): Promise<string> {
  const started = performance.now();
  const service = await startService({ camera: { width, height, framerate }, ring: { frames: 60 } });
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
    const ringMb = (60 * width * height * 3) / 1024 / 1024;
    return `| ${width}x${height} | ${framerate} | ${(frames / MEASURE_S).toFixed(1)} | ${((b.cpuMs - a.cpuMs) / frames).toFixed(2)} | ${b.rssMb.toFixed(0)} | ${ringMb.toFixed(0)} | ${startupMs.toFixed(0)} |`;
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

async function main(): Promise<void> {
  const lines: string[] = [];
  const out = (line: string): void => {
    lines.push(line);
    process.stdout.write(line + '\n');
  };
  out(`Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; synthetic source; ${MEASURE_S} s windows.`);
  out('');
  out('### Ingest (synthetic source, dark score, ring write)');
  out('');
  out('| size | asked fps | sustained fps | CPU ms/frame | RSS MB | ring payload MB | start-up ms |');
  out('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [w, h] of [[1280, 720], [1920, 1080]] as const) {
    out(await ingest(w, h, 30));
    out(await ingest(w, h, 240));
  }
  out('');
  out('### Trigger (SNAP over TCP, before_s=1, after_s=0, medians of 3)');
  out('');
  out('| size | format | reply ms | first file ms | complete ms | frames | frames/s written |');
  out('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [w, h] of [[1280, 720], [1920, 1080]] as const) {
    for (const format of ['jpg', 'png', 'npy']) out(await trigger(w, h, format));
  }
}

await main();
