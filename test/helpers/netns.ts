import { execFileSync } from 'node:child_process';

/**
 * Two network namespaces joined by a veth pair: the camera (service) in one,
 * the analyser (client) in the other, so a test or the bench can put a real
 * slow link (`tc ... tbf`) between them. Addresses exist only inside the two
 * namespaces, and both are deleted by `remove()` (and, as a backstop, when
 * the process exits). It needs root (CAP_NET_ADMIN); without it, or without
 * `ip`/`tc`, creating one throws with the command that failed, it is never
 * skipped.
 */
export interface NetnsLink {
  /** Namespace the service runs in, and its address there. */
  cameraNs: string;
  cameraAddress: string;
  /** Namespace the analyser runs in, and its address there. */
  analyserNs: string;
  analyserAddress: string;
  /** The camera side's veth (inside cameraNs): egress there is what the analyser receives. */
  cameraDev: string;
  /** Shapes the camera side's egress (`tc qdisc ... tbf`), or removes the shaping with undefined. */
  shape(rate: string | undefined): void;
  /** Command prefix that runs a program inside a namespace: `[...prefix, program, ...args]`. */
  exec(ns: string): string[];
  remove(): void;
}

export const CAMERA_ADDRESS = '10.77.0.1';
export const ANALYSER_ADDRESS = '10.77.0.2';

const live = new Set<NetnsLink>();
process.on('exit', () => {
  for (const link of live) link.remove();
});
let counter = 0;

function run(args: string[]): void {
  try {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    throw new Error(`netns set-up failed: ip ${args.join(' ')}: ${stderr || (error as Error).message} (this needs root and iproute2)`);
  }
}

function tc(ns: string, args: string[]): void {
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'tc', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    throw new Error(`netns set-up failed: tc ${args.join(' ')}: ${stderr || (error as Error).message} (this needs root and the sch_tbf module)`);
  }
}

/**
 * The link: `tbf rate <rate> burst 32kbit latency 400ms` on the
 * camera side, the shape of a Wi-Fi or cellular uplink with a deep buffer.
 */
export function tbfArgs(dev: string, rate: string): string[] {
  return ['qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', rate, 'burst', '32kbit', 'latency', '400ms'];
}

export function createNetnsLink(): NetnsLink {
  const tag = `${process.pid % 100000}x${counter++}`;
  const cameraNs = `picam-cam-${tag}`;
  const analyserNs = `picam-ana-${tag}`;
  // Interface names are at most 15 characters.
  const cameraDev = `pc${tag}c`.slice(0, 15);
  const analyserDev = `pc${tag}a`.slice(0, 15);
  let removed = false;
  const link: NetnsLink = {
    cameraNs,
    cameraAddress: CAMERA_ADDRESS,
    analyserNs,
    analyserAddress: ANALYSER_ADDRESS,
    cameraDev,
    shape(rate) {
      if (rate === undefined) {
        try {
          tc(cameraNs, ['qdisc', 'del', 'dev', cameraDev, 'root']);
        } catch {
          // No qdisc to delete: already unshaped.
        }
        return;
      }
      tc(cameraNs, tbfArgs(cameraDev, rate));
    },
    exec: (ns) => ['ip', 'netns', 'exec', ns],
    remove() {
      if (removed) return;
      removed = true;
      live.delete(link);
      // Deleting a namespace deletes the veth end inside it, and with it the pair.
      for (const ns of [cameraNs, analyserNs]) {
        try {
          execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
        } catch {
          // Not created (set-up failed part way): nothing to remove.
        }
      }
    },
  };
  live.add(link);
  try {
    run(['netns', 'add', cameraNs]);
    run(['netns', 'add', analyserNs]);
    run(['link', 'add', cameraDev, 'type', 'veth', 'peer', 'name', analyserDev]);
    run(['link', 'set', cameraDev, 'netns', cameraNs]);
    run(['link', 'set', analyserDev, 'netns', analyserNs]);
    run(['-n', cameraNs, 'addr', 'add', `${CAMERA_ADDRESS}/24`, 'dev', cameraDev]);
    run(['-n', analyserNs, 'addr', 'add', `${ANALYSER_ADDRESS}/24`, 'dev', analyserDev]);
    for (const [ns, dev] of [[cameraNs, cameraDev], [analyserNs, analyserDev]] as const) {
      run(['-n', ns, 'link', 'set', 'lo', 'up']);
      run(['-n', ns, 'link', 'set', dev, 'up']);
    }
  } catch (error) {
    // A veth left in the root namespace (moved nowhere yet) goes too.
    try {
      execFileSync('ip', ['link', 'del', cameraDev], { stdio: 'ignore' });
    } catch {
      // Already inside a namespace, or never made.
    }
    link.remove();
    throw error;
  }
  return link;
}
