import { cleanupAll, installSignalHandlers } from './cleanup.js';
import { Clips } from './clips.js';
import type { BenchContext } from './context.js';
import { exportThroughput } from './export-throughput.js';
import { ingest } from './ingest.js';
import { ringMemory } from './memory.js';
import { preroll } from './preroll.js';
import { parseProfile, UsageError, type Section } from './options.js';
import { machine } from './proc.js';
import { referenceLines } from './reference-lines.js';
import { progress, Report } from './report.js';
import { Scenes } from './scene.js';
import { soak } from './soak.js';
import { streamSlowLink } from './stream-slow-link.js';
import { streamFrames } from './stream.js';
import { evaluateTargets } from './targets.js';
import { MissingToolError } from './tools.js';
import { triggerLatency } from './trigger-latency.js';

/**
 * `npm run bench`: figures from the real service process on loopback, as
 * Markdown tables on stdout (for BENCHMARKS.md) and JSON in a file (for
 * comparing runs). Wall-clock figures vary with the machine and its load;
 * CPU per frame comes from /proc, not from timers.
 */

const SECTION_RUNNERS: Record<Section, (context: BenchContext) => Promise<void>> = {
  reference: referenceLines,
  ingest,
  memory: ringMemory,
  export: exportThroughput,
  trigger: triggerLatency,
  stream: streamFrames,
  slowlink: streamSlowLink,
  preroll,
  soak,
};

async function main(): Promise<number> {
  let profile;
  try {
    profile = parseProfile(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  installSignalHandlers();
  const report = new Report();
  const clips = new Clips();
  const scenes = new Scenes();
  const context: BenchContext = { profile, report, clips, scenes };
  const host = machine();
  const startedAt = new Date();
  const t0 = performance.now();
  const args = process.argv.slice(2);
  const command = `${process.env.BENCH_ONLY ? `BENCH_ONLY=${process.env.BENCH_ONLY} ` : ''}npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
  report.line(`Machine: ${host.cores} cores, ${host.cpuModel}, ${host.ramGiB} GiB RAM, Node ${host.node}, Linux ${host.kernel}; load average ${host.loadAverage.toFixed(2)} at start.`);
  report.line(`Command: \`${command}\`, ${startedAt.toISOString()}.`);
  report.line();
  let failed = false;
  try {
    for (const section of profile.sections) {
      const s0 = performance.now();
      progress(`section ${section}`);
      await SECTION_RUNNERS[section](context);
      progress(`section ${section} done in ${((performance.now() - s0) / 1000).toFixed(1)} s`);
    }
    evaluateTargets(context);
  } catch (error) {
    failed = true;
    const message = error instanceof MissingToolError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    report.errors.push(message);
    process.stderr.write(`bench: FAILED: ${message}\n`);
  } finally {
    await clips.remove();
    await scenes.remove();
    await cleanupAll();
  }
  const wallS = (performance.now() - t0) / 1000;
  report.line(`Wall time: ${wallS.toFixed(0)} s.`);
  await report.writeJson(profile.jsonFile, { version: 1, mode: profile.mode, sections: profile.sections, command, startedAt: startedAt.toISOString(), wallSeconds: wallS, machine: host, ok: !failed });
  progress(`JSON written to ${profile.jsonFile}; ${failed ? 'FAILED' : 'ok'} in ${wallS.toFixed(0)} s`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
