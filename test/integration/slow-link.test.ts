import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createNetnsLink, type NetnsLink } from '../helpers/netns.js';
import { ROOT, startService, type Service } from '../helpers/service.js';

/**
 * Issue 17: a remote analyser on a 2 Mbit/s link saw frames 3-5 s old,
 * because seconds of frames sat below grpc-js (socket send buffer, HTTP/2
 * windows, the link's own buffer). The service runs in one network
 * namespace, each client in another, the camera side shaped with
 * `tc ... tbf rate 2mbit burst 32kbit latency 400ms`; each client uses its
 * defaults. Frame age = receive time − capture time, one machine's clock.
 * The bounds (median 1 s, p95 1.5 s) are loose against the goal (0.6 s /
 * 1 s, measured ~0.22 s) and far below the 3 s the old code reached after
 * the warm-up.
 */

const WARMUP_S = 3;
const MEASURE_S = 4;
const MEDIAN_LIMIT_MS = 1000;
const P95_LIMIT_MS = 1500;
const GRPCURL = process.env.GRPCURL ?? path.join(process.env.HOME ?? '/root', 'go/bin/grpcurl');
const CLIENT_PYTHON = path.join(ROOT, 'clients/python/.venv/bin/python');

interface Received {
  id: number;
  captureMs: number;
  receiveMs: number;
  dropped: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Runs `argv` in the analyser's namespace for at most `limitS` seconds; `onData` sees stdout chunks as they arrive. */
function runInAnalyser(link: NetnsLink, argv: string[], limitS: number, onData: (chunk: Buffer) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(link.exec(link.analyserNs)[0]!, [...link.exec(link.analyserNs).slice(1), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    // Hang guard only: every client ends itself after its own time limit.
    const guard = setTimeout(() => child.kill('SIGKILL'), (limitS + 30) * 1000);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(guard);
      resolve(stderr);
    });
  });
}

/** For clients that print one JSON line per frame with id, capture_ms, receive_ms, dropped. */
async function jsonLineClient(link: NetnsLink, argv: string[], frames: Received[] = []): Promise<{ frames: Received[]; stderr: string }> {
  let pending = '';
  const stderr = await runInAnalyser(link, argv, WARMUP_S + MEASURE_S, (chunk) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines.filter((l) => l.startsWith('{'))) {
      const v = JSON.parse(line) as { id: number; capture_ms: number; receive_ms: number; dropped: number };
      frames.push({ id: Number(v.id), captureMs: v.capture_ms, receiveMs: v.receive_ms, dropped: v.dropped });
    }
  });
  return { frames, stderr };
}

/** Checks staleness, ids and drops over the frames after the warm-up. */
function assertFresh(name: string, all: Received[], stderr: string): void {
  assert.ok(all.length > 0, `${name} received no frame; stderr: ${stderr}`);
  const start = all[0]!.receiveMs + WARMUP_S * 1000;
  const measured = all.filter((f) => f.receiveMs >= start);
  assert.ok(measured.length >= 8, `${name}: only ${measured.length} frames after the warm-up (the link carries ~10 a second); stderr: ${stderr}`);
  for (let i = 1; i < all.length; i++) {
    // Every frame skipped between two received ones is counted in the later one's dropped.
    assert.equal(all[i]!.id - all[i - 1]!.id, all[i]!.dropped + 1, `${name}: frame ${all[i]!.id} after ${all[i - 1]!.id} reports dropped=${all[i]!.dropped}`);
  }
  const ages = measured.map((f) => f.receiveMs - f.captureMs).sort((a, b) => a - b);
  const median = percentile(ages, 50);
  const p95 = percentile(ages, 95);
  const dropped = measured.reduce((s, f) => s + f.dropped, 0);
  process.stdout.write(`# ${name}: ${measured.length} frames in ~${MEASURE_S} s, age median ${median} ms, p95 ${p95} ms, max ${ages.at(-1)} ms, dropped ${dropped}\n`);
  assert.ok(median <= MEDIAN_LIMIT_MS, `${name}: frame age median ${median} ms > ${MEDIAN_LIMIT_MS} ms (ages ${ages.join(',')})`);
  assert.ok(p95 <= P95_LIMIT_MS, `${name}: frame age p95 ${p95} ms > ${P95_LIMIT_MS} ms`);
  // The camera makes 30 frames a second and the link carries ~10: the rest must be dropped, and counted.
  assert.ok(dropped > measured.length, `${name}: only ${dropped} frames counted as dropped for ${measured.length} delivered`);
}

describe('streaming over a 2 Mbit/s link between two network namespaces', { timeout: 300_000 }, () => {
  let link: NetnsLink;
  let service: Service;
  let work: string;
  let goBinary: string;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'picam-slowlink-'));
    goBinary = path.join(work, 'frame-ages');
    const build = spawnSync('go', ['build', '-o', goBinary, './examples/frame-ages'], { cwd: path.join(ROOT, 'clients/go'), encoding: 'utf8', timeout: 240_000 });
    assert.equal(build.status, 0, `go build failed: ${build.error?.message ?? build.stderr}`);
    link = createNetnsLink();
    link.shape('2mbit');
    service = await startService(
      { camera: { source: 'synthetic', width: 1280, height: 720, framerate: 30 }, ring: { seconds: 2 }, network: { host: link.cameraAddress, http_port: 0 } },
      { prefix: link.exec(link.cameraNs) },
    );
  });

  after(async () => {
    try {
      await service?.stop();
    } finally {
      link?.remove();
      await rm(work, { recursive: true, force: true });
    }
  });

  test('Python client (defaults): fresh frames, drops counted, queue depth in GetStatus and /metrics', async () => {
    const script = path.join(ROOT, 'clients/python/examples/frame_ages.py');
    const received: Received[] = [];
    const running = jsonLineClient(link, [CLIENT_PYTHON, script, service.grpcAddress, String(WARMUP_S + MEASURE_S)], received);
    // While it streams (from its 10th frame on: Python starts slowly on a busy machine): GetStatus
    // (through grpcurl) and /metrics (curl) from the analyser's side.
    const deadline = Date.now() + 30_000;
    while (received.length < 10 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    let statusJson = '';
    await runInAnalyser(link, [GRPCURL, '-plaintext', '-d', '{}', service.grpcAddress, 'picam.v1.CameraService/GetStatus'], 10, (c) => (statusJson += c.toString('utf8')));
    let metrics = '';
    await runInAnalyser(link, ['curl', '-sS', `${service.httpUrl}/metrics`], 10, (c) => (metrics += c.toString('utf8')));
    const { frames, stderr } = await running;
    assertFresh('python', frames, stderr);

    const status = JSON.parse(statusJson) as { streamReaders?: Array<{ transport: string; peer: string; framesInFlight?: number; bytesInFlight?: string; framesSent?: string; inFlightTracked?: boolean }> };
    const readers = status.streamReaders ?? [];
    assert.equal(readers.length, 1, `GetStatus stream_readers: ${statusJson}`);
    const reader = readers[0]!;
    assert.equal(reader.transport, 'grpc');
    assert.ok(reader.peer.startsWith(`${link.analyserAddress}:`), `peer ${reader.peer}`);
    assert.equal(reader.inFlightTracked, true, 'the HTTP/2 session was found, so arrival is tracked');
    assert.ok((reader.framesInFlight ?? 0) <= 2, `frames in flight ${reader.framesInFlight}`);
    assert.ok(Number(reader.framesSent ?? 0) > 0);
    const inFlight = /^picam_stream_reader_frames_in_flight\{reader="grpc 10\.77\.0\.2:\d+ #\d+"\} (\d+)$/m.exec(metrics);
    assert.ok(inFlight, `no per-reader in-flight gauge in /metrics:\n${metrics.split('\n').filter((l) => l.includes('in_flight')).join('\n')}`);
    assert.ok(Number(inFlight[1]) <= 2);
    assert.match(metrics, /^picam_stream_reader_bytes_in_flight\{reader="grpc 10\.77\.0\.2:\d+ #\d+"\} \d+$/m);
  });

  test('Go client (defaults): fresh frames, drops counted', async () => {
    const { frames, stderr } = await jsonLineClient(link, [goBinary, '-addr', service.grpcAddress, '-seconds', String(WARMUP_S + MEASURE_S)]);
    assertFresh('go', frames, stderr);
  });

  test('TypeScript client (defaults): fresh frames, drops counted', async () => {
    const script = path.join(ROOT, 'dist/clients/ts/examples/frame-ages.js');
    const { frames, stderr } = await jsonLineClient(link, [process.execPath, script, service.grpcAddress, String(WARMUP_S + MEASURE_S)]);
    assertFresh('typescript', frames, stderr);
  });

  test('grpcurl (defaults): fresh frames, drops counted', async () => {
    const frames: Received[] = [];
    let message = '';
    let pending = '';
    const stderr = await runInAnalyser(
      link,
      [GRPCURL, '-plaintext', '-max-time', String(WARMUP_S + MEASURE_S), '-d', '{"encoding":"ENCODING_JPEG"}', service.grpcAddress, 'picam.v1.CameraService/StreamFrames'],
      WARMUP_S + MEASURE_S,
      (chunk) => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          message += line;
          if (line !== '}') continue;
          // grpcurl prints each message as indented JSON closed by a "}" line; stamped as it arrives here.
          const v = JSON.parse(message) as { frame: { frameId: string; captureTime: string }; dropped?: number };
          frames.push({ id: Number(v.frame.frameId), captureMs: Date.parse(v.frame.captureTime), receiveMs: Date.now(), dropped: v.dropped ?? 0 });
          message = '';
        }
      },
    );
    assertFresh('grpcurl', frames, stderr);
  });

  test('/live.mjpg read by curl: fresh parts, drops counted', async () => {
    const frames: Received[] = [];
    let buffer = Buffer.alloc(0);
    const stderr = await runInAnalyser(link, ['curl', '-sS', '-N', '--max-time', String(WARMUP_S + MEASURE_S), `${service.httpUrl}/live.mjpg?max_fps=30`], WARMUP_S + MEASURE_S, (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString('latin1');
        const length = Number(/Content-Length: (\d+)/i.exec(head)?.[1]);
        if (buffer.length < end + 4 + length) return;
        frames.push({
          id: Number(/X-Frame-Id: (\d+)/i.exec(head)?.[1]),
          captureMs: Number(/X-Timestamp-Ms: (\d+)/i.exec(head)?.[1]),
          receiveMs: Date.now(),
          dropped: Number(/X-Dropped: (\d+)/i.exec(head)?.[1]),
        });
        buffer = buffer.subarray(end + 4 + length);
      }
    });
    assertFresh('live.mjpg', frames, stderr);
  });
});
