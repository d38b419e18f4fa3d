import { LineClient } from '../test/helpers/sockets.js';
import { sizeLabel, type BenchContext } from './context.js';
import type { Size } from './options.js';
import { sleep } from './proc.js';
import { progress } from './report.js';
import { benchService } from './service.js';

/** RSS budget of the target: the ring's payload plus a fixed allowance for the rest. */
export function rssBudgetMb(payloadMb: number): number {
  return 1.15 * payloadMb + 120;
}

/** Sends one SNAP over the line protocol and returns the reply line. */
export async function snap(linePort: number, command = 'SNAP'): Promise<string> {
  const client = await LineClient.connect(linePort);
  try {
    return await client.command(command);
  } finally {
    client.destroy();
  }
}

/**
 * RSS after a minute of capture at the largest size with a 5 s ring and a
 * small jpg trigger every 10 s, against the ring's payload. The figure is
 * the RSS over the last third of the minute (sampled every few seconds), so
 * one sample taken mid-export does not decide it.
 */
export async function ringMemory({ profile, report }: BenchContext): Promise<void> {
  const size: Size = profile.sizes[profile.sizes.length - 1]!;
  const s = sizeLabel(size);
  progress(`memory ${s}, ${profile.rssSeconds} s`);
  const bench = await benchService({ camera: { source: 'synthetic', width: size[0], height: size[1], framerate: 30 }, ring: { seconds: 5 }, export: { save_before_s: 1, save_after_s: 1, formats: ['jpg'] } });
  const samples: Array<{ t: number; rssMb: number }> = [];
  try {
    const t0 = performance.now();
    const every = profile.mode === 'quick' ? 1 : 5;
    let nextTrigger = 0;
    for (let t = 0; t <= profile.rssSeconds; t += every) {
      await sleep(Math.max(0, t0 + t * 1000 - performance.now()));
      if (t >= nextTrigger) {
        const reply = await snap(bench.service.linePort);
        if (!reply.startsWith('OK ')) throw new Error(`SNAP during the memory run answered ${reply}`);
        nextTrigger += 10;
      }
      samples.push({ t, rssMb: (await bench.sample()).rssMb });
    }
    const payloadMb = Number((await bench.camera.getStatus({})).ring?.payloadBytes ?? 0n) / 2 ** 20;
    const tail = samples.filter((x) => x.t >= (profile.rssSeconds * 2) / 3);
    const rss = report.figure(`memory.${s}.rss_mb`, 'MB', tail.map((x) => x.rssMb));
    report.figure(`memory.${s}.payload_mb`, 'MB', [payloadMb]);
    report.figure(`memory.${s}.rss_over_payload`, 'ratio', tail.map((x) => x.rssMb / payloadMb));
    const budget = rssBudgetMb(payloadMb);
    report.figure(`memory.${s}.budget_mb`, 'MB', [budget]);
    report.heading(`Resident memory against the ring (synthetic ${s} rgb24, ring 5 s, a jpg trigger every 10 s, after ${profile.rssSeconds} s)`);
    report.line(`RSS is the median of ${rss.runs} sample(s) over the last third of the run, (min–max).`);
    report.line();
    report.table(['ring payload MB', 'RSS MB', 'RSS / payload', 'budget 1.15 x payload + 120 MB', 'verdict'], [
      [report.cell(`memory.${s}.payload_mb`, 0), report.cell(`memory.${s}.rss_mb`, 0), report.cell(`memory.${s}.rss_over_payload`, 2), budget.toFixed(0), rss.max <= budget ? 'within budget' : 'OVER budget'],
    ]);
  } finally {
    await bench.stop();
  }
}
