import { createNetnsLink } from '../test/helpers/netns.js';
import type { BenchContext } from './context.js';
import { sleep } from './proc.js';
import { progress } from './report.js';
import { benchService } from './service.js';
import { runSubscribers, type SubscriberSpec } from './stream-python.js';
import { summarize } from './stats.js';
import { ensureClientVenv } from './tools.js';

interface LinkCase {
  id: string;
  /** tbf rate, or undefined for the bare veth. */
  rate: string | undefined;
  rateBitsPerS: number;
  label: string;
  /** The subscriber; with `mjpeg` it reads /live.mjpg (the live page's stream) instead. */
  subscriber: SubscriberSpec;
  mjpeg?: boolean;
  encodingLabel: string;
  smoke?: boolean;
}

const CASES: LinkCase[] = [
  { id: 'veth-jpeg', rate: undefined, rateBitsPerS: Number.POSITIVE_INFINITY, label: 'none (veth)', encodingLabel: 'JPEG 720p q80', subscriber: { encoding: 'jpeg' }, smoke: true },
  { id: '8mbit-jpeg', rate: '8mbit', rateBitsPerS: 8e6, label: '8 Mbit/s', encodingLabel: 'JPEG 720p q80', subscriber: { encoding: 'jpeg' } },
  { id: '2mbit-jpeg', rate: '2mbit', rateBitsPerS: 2e6, label: '2 Mbit/s', encodingLabel: 'JPEG 720p q80', subscriber: { encoding: 'jpeg' }, smoke: true },
  { id: '2mbit-mjpeg', rate: '2mbit', rateBitsPerS: 2e6, label: '2 Mbit/s', encodingLabel: '/live.mjpg 720p q80 max_fps=30', subscriber: { encoding: 'jpeg' }, mjpeg: true, smoke: true },
  { id: '20mbit-raw320', rate: '20mbit', rateBitsPerS: 20e6, label: '20 Mbit/s', encodingLabel: 'RAW rgb24 320 wide', subscriber: { encoding: 'raw', width: 320 } },
];

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * StreamFrames over a real slow link: the service in one network namespace,
 * the generated Python client (no options) in another, joined by a veth pair
 * whose camera side is shaped with `tc ... tbf rate R burst 32kbit latency
 * 400ms` (a Wi-Fi or cellular uplink with a deep buffer). Frame age is
 * receive time minus capture time, both on this machine's clock. "Link
 * carries" is the link rate over the mean payload per frame: the frame rate
 * a perfect sender could reach at that frame size (TCP/IP and HTTP/2 framing
 * take a few % of it). Needs root; fails loudly without it.
 */
export async function streamSlowLink({ profile, report }: BenchContext): Promise<void> {
  ensureClientVenv();
  const link = createNetnsLink();
  const windows = profile.runs;
  const windowS = profile.mode === 'quick' ? 1.5 : 3;
  // Long enough for a queue to build: the 2 Mbit/s backlog took seconds to reach its steady size.
  const warmupS = profile.mode === 'quick' ? 2 : 5;
  const rows: string[][] = [];
  try {
    const bench = await benchService(
      { camera: { source: 'synthetic', width: 1280, height: 720, framerate: 30 }, ring: { seconds: 2 }, network: { host: link.cameraAddress, http_port: 0 } },
      { prefix: link.exec(link.cameraNs) },
    );
    try {
      await sleep(profile.settleS * 1000);
      for (const c of CASES.filter((x) => profile.everyCase || x.smoke)) {
        progress(`slow link ${c.label} ${c.encodingLabel}`);
        link.shape(c.rate);
        const subscriber = c.mjpeg ? { ...c.subscriber, mjpegUrl: `${bench.service.httpUrl}/live.mjpg?max_fps=30` } : c.subscriber;
        const [result] = await runSubscribers(bench.service.grpcAddress, [subscriber], { windows, windowS, warmupS, prefix: link.exec(link.analyserNs) });
        const r = result!;
        const key = `slowlink.${c.id}`;
        const ages = [...r.ages_all_ms].sort((a, b) => a - b);
        const frames = r.frames.reduce((s, v) => s + v, 0);
        const bytes = r.bytes.reduce((s, v) => s + v, 0);
        const carries = frames > 0 ? c.rateBitsPerS / 8 / (bytes / frames) : Number.NaN;
        const fps = report.figure(`${key}.fps`, 'frames/s', r.frames.map((f) => f / windowS));
        report.figure(`${key}.link_fps`, 'frames/s', [carries]);
        report.figure(`${key}.share`, '%', Number.isFinite(carries) ? [(100 * fps.median) / carries] : []);
        report.figure(`${key}.age_median_ms`, 'ms', [percentile(ages, 50)]);
        report.figure(`${key}.age_p95_ms`, 'ms', [percentile(ages, 95)]);
        report.figure(`${key}.age_max_ms`, 'ms', [ages.at(-1) ?? Number.NaN]);
        report.figure(`${key}.dropped_s`, 'frames/s', r.dropped.map((d) => d / windowS));
        report.figure(`${key}.frame_kb`, 'kB', frames > 0 ? [bytes / frames / 1000] : []);
        const ageCell = ['age_median_ms', 'age_p95_ms', 'age_max_ms'].map((f) => report.cell(`${key}.${f}`, 0)).join(' / ');
        const carriesCell = Number.isFinite(carries) ? report.cell(`${key}.link_fps`, 1) : '–';
        const shareCell = Number.isFinite(carries) ? `${report.cell(`${key}.share`, 0)} %` : '–';
        rows.push([c.label, c.encodingLabel, report.cell(`${key}.frame_kb`, 1), report.cell(`${key}.fps`, 1), carriesCell, shareCell, ageCell, report.cell(`${key}.dropped_s`, 1)]);
        // Every frame's age is in the JSON too, for a closer look.
        report.figure(`${key}.ages_ms`, 'ms', summarize(r.ages_all_ms).values);
      }
    } finally {
      await bench.stop();
    }
  } finally {
    link.shape(undefined);
    link.remove();
  }
  report.heading('StreamFrames over a slow link (synthetic 1280x720 at 30 frames/s, two network namespaces, tbf on the camera side)');
  report.line(`The generated Python client with no options (the /live.mjpg row: a plain HTTP reader, bench/mjpeg_client.py) in its own network namespace; \`tc qdisc ... tbf rate R burst 32kbit latency 400ms\` on the camera's veth. Warm-up ${warmupS} s, then ${windows} window(s) of ${windowS} s: frames/s and dropped/s are medians over the windows (min–max); frame age (receive − capture, one clock) is median / p95 / max over every frame received. "link carries" = link rate / mean frame size.`);
  report.line();
  report.table(['link', 'encoding', 'frame kB', 'delivered frames/s', 'link carries frames/s', 'share', 'frame age median / p95 / max ms', 'dropped/s'], rows);
}
