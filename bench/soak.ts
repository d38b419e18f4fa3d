import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sizeLabel, type BenchContext } from './context.js';
import { rssBudgetMb, snap } from './memory.js';
import { sleep } from './proc.js';
import { progress } from './report.js';
import { benchService } from './service.js';
import { slope } from './stats.js';
import { runSubscribers } from './stream-python.js';
import { ensureClientVenv } from './tools.js';

/**
 * RSS over a long run with the service doing everything at once: capture,
 * a jpg trigger every 10 s (default 2 s + 2 s window) and one Python
 * subscriber streaming JPEG throughout. After the warm-up (ring pages,
 * sharp's pools, V8's heap settling) RSS should stay flat: the slope is a
 * least-squares fit over the samples after it.
 */
export async function soak({ profile, report }: BenchContext): Promise<void> {
  ensureClientVenv();
  const { size, seconds, warmupS, triggerEveryS, sampleEveryS } = profile.soak;
  const s = sizeLabel(size);
  const bench = await benchService({ camera: { source: 'synthetic', width: size[0], height: size[1], framerate: 30 }, ring: { seconds: 3 }, export: { save_before_s: 2, save_after_s: 2, formats: ['jpg'] } });
  const samples: Array<{ t: number; rssMb: number }> = [];
  const dirs: string[] = [];
  try {
    await sleep(profile.settleS * 1000);
    progress(`soak ${s} for ${seconds} s (a trigger every ${triggerEveryS} s, one JPEG subscriber)`);
    const [stream] = await runSubscribers(bench.service.grpcAddress, [{ encoding: 'jpeg' }], { windows: 1, windowS: seconds, warmupS: 0 }, async (startWallMs) => {
      let nextTrigger = 0;
      for (let t = 0; t <= seconds; t += sampleEveryS) {
        await sleep(Math.max(0, startWallMs + t * 1000 - Date.now()));
        if (t >= nextTrigger && t < seconds) {
          const reply = await snap(bench.service.linePort);
          if (!reply.startsWith('OK ')) throw new Error(`SNAP during the soak answered ${reply}`);
          dirs.push(reply.split(' ')[2]!);
          nextTrigger += triggerEveryS;
        }
        samples.push({ t, rssMb: (await bench.sample()).rssMb });
        if (t % 60 === 0 && t > 0) progress(`soak ${t} s, RSS ${samples[samples.length - 1]!.rssMb.toFixed(0)} MB`);
      }
    });
    // The last trigger's after-window and export may still be running.
    await sleep((2 + 3) * 1000);
    const states = await Promise.all(dirs.map((dir) => readFile(path.join(dir, 'event.json'), 'utf8').then((text) => (JSON.parse(text) as { state: string }).state, () => 'missing')));
    const payloadMb = Number((await bench.camera.getStatus({})).ring?.payloadBytes ?? 0n) / 2 ** 20;
    const settled = samples.filter((x) => x.t >= warmupS);
    const first = settled[0]!;
    const last = settled[settled.length - 1]!;
    const slopePerMin = slope(settled.map((x) => x.t / 60), settled.map((x) => x.rssMb));
    const peak = Math.max(...samples.map((x) => x.rssMb));
    report.figure(`soak.${s}.rss_mb`, 'MB', settled.map((x) => x.rssMb));
    report.figure(`soak.${s}.rss_start_mb`, 'MB', [first.rssMb]);
    report.figure(`soak.${s}.rss_end_mb`, 'MB', [last.rssMb]);
    report.figure(`soak.${s}.growth_mb`, 'MB', [last.rssMb - first.rssMb]);
    report.figure(`soak.${s}.slope_mb_per_min`, 'MB/min', [slopePerMin]);
    report.figure(`soak.${s}.rss_peak_mb`, 'MB', [peak]);
    report.figure(`soak.${s}.payload_mb`, 'MB', [payloadMb]);
    report.figure(`soak.${s}.stream_fps`, 'frames/s', [stream ? stream.frames[0]! / stream.window_s : Number.NaN]);
    report.figure(`soak.${s}.events_complete`, 'events', [states.filter((x) => x === 'complete').length]);
    report.info.soakSamples = samples;
    report.heading(`Soak (synthetic ${s} at 30 frames/s, ring 3 s, ${seconds} s, a jpg SNAP every ${triggerEveryS} s, one Python JPEG subscriber)`);
    report.line(`RSS sampled every ${sampleEveryS} s; start is the first sample after ${warmupS.toFixed(0)} s of warm-up, the slope a least-squares fit over the samples after it. Events: ${states.length} triggered, ${states.filter((x) => x === 'complete').length} complete (${[...new Set(states)].join(', ')}).`);
    report.line();
    report.table(['ring payload MB', 'RSS start MB', 'RSS end MB', 'growth MB', 'slope MB/min', 'peak MB', 'budget MB', 'stream frames/s'], [[
      payloadMb.toFixed(0), first.rssMb.toFixed(0), last.rssMb.toFixed(0), (last.rssMb - first.rssMb).toFixed(1), slopePerMin.toFixed(2), peak.toFixed(0), rssBudgetMb(payloadMb).toFixed(0), report.cell(`soak.${s}.stream_fps`, 1),
    ]]);
  } finally {
    await bench.stop();
  }
}
