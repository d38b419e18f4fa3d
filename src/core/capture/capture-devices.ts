import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

/** Where device nodes and sysfs live; tests point these at a fake tree. */
export interface HostRoots {
  dev: string;
  sys: string;
}

export const HOST_ROOTS: HostRoots = { dev: '/dev', sys: '/sys' };

export interface CaptureDeviceSearch {
  /** The first real capture device, preferred one first. */
  chosen?: { path: string; name: string };
  /** One line per /dev/videoN: taken or skipped, and why. */
  verdicts: string[];
}

/**
 * Drivers of /dev/video nodes that are no webcam: the Pi's codecs and ISPs
 * (nodes 10-23 and 31 on a Pi 0-4, the PiSP back end's 19-35 on a Pi 5) and
 * the raw sensor receivers that only libcamera can drive.
 */
const NOT_CAMERAS: Record<string, string> = {
  'bcm2835-codec': 'Pi video codec',
  'bcm2835-isp': 'Pi ISP',
  'bcm2835_isp': 'Pi ISP',
  rpivid: 'Pi HEVC decoder',
  'rpi-hevc-dec': 'Pi HEVC decoder',
  pispbe: 'Pi 5 ISP back end',
  'rp1-cfe': 'Pi 5 raw sensor receiver (rpicam-vid drives it)',
  unicam: 'raw sensor receiver (rpicam-vid drives it)',
  'bcm2835-unicam': 'raw sensor receiver (rpicam-vid drives it)',
};

/** Drivers whose node index 0 is a camera's picture stream (index 1 of a UVC camera is its metadata node). */
const CAMERA_DRIVERS = /^(uvcvideo|gspca_\w+|bcm2835-v4l2|bcm2835_v4l2)$/;

/**
 * Looks at every /dev/videoN and takes only real capture devices: a UVC (or
 * other USB camera) driver's picture node per sysfs, or, for a driver this
 * table does not know, a node whose V4L2 device caps (`v4l2-ctl --info`)
 * say Video Capture and not Memory-to-Memory. `preferred` (camera.device)
 * is looked at first.
 */
export async function findCaptureDevice(preferred: string, roots: HostRoots = HOST_ROOTS): Promise<CaptureDeviceSearch> {
  let names: string[];
  try {
    names = (await readdir(roots.dev)).filter((name) => /^video\d+$/.test(name));
  } catch (error) {
    return { verdicts: [`cannot list ${roots.dev}: ${(error as Error).message}`] };
  }
  const number = (name: string): number => Number(name.slice('video'.length));
  names.sort((a, b) => number(a) - number(b));
  const first = path.basename(preferred);
  if (names.includes(first)) names = [first, ...names.filter((n) => n !== first)];
  const verdicts: string[] = [];
  for (const node of names) {
    const sys = path.join(roots.sys, 'class/video4linux', node);
    const name = await readFile(path.join(sys, 'name'), 'utf8').then((n) => n.trim(), () => 'unknown device');
    const driver = await readlink(path.join(sys, 'device/driver')).then((link) => path.basename(link), () => '');
    const index = await readFile(path.join(sys, 'index'), 'utf8').then((n) => Number(n.trim()), () => 0);
    const devPath = path.join(roots.dev, node);
    const verdict = await judge(devPath, driver, index);
    verdicts.push(`${devPath} (${name}${driver ? `, driver ${driver}` : ''}): ${verdict.why}`);
    if (verdict.take) return { chosen: { path: devPath, name }, verdicts };
  }
  if (names.length === 0) verdicts.push(`no video devices in ${roots.dev}`);
  return { verdicts };
}

async function judge(devPath: string, driver: string, index: number): Promise<{ take: boolean; why: string }> {
  const known = NOT_CAMERAS[driver];
  if (known) return { take: false, why: `skipped, ${known}` };
  if (CAMERA_DRIVERS.test(driver)) {
    return index === 0 ? { take: true, why: 'taken, a camera\'s picture node' } : { take: false, why: `skipped, node ${index} of its camera (metadata, not pictures)` };
  }
  const caps = await deviceCaps(devPath);
  if (caps === undefined) return { take: false, why: `skipped, driver ${driver || 'unknown'} is not a known camera and v4l2-ctl (v4l-utils) cannot tell its capabilities` };
  if (/Video Capture\b/.test(caps) && !/Memory-to-Memory/.test(caps)) return { take: true, why: 'taken, V4L2 device caps include Video Capture' };
  return { take: false, why: `skipped, no Video Capture capability (${caps.replace(/\s+/g, ' ').trim() || 'none'})` };
}

/** The "Device Caps" block of `v4l2-ctl --info`, undefined when v4l2-ctl is missing or fails. */
async function deviceCaps(devPath: string): Promise<string | undefined> {
  const result = await execa('v4l2-ctl', ['-d', devPath, '--info'], { reject: false, timeout: 5000 });
  if (result.failed) return undefined;
  const text = String(result.stdout);
  const block = /Device Caps\s*:[^\n]*\n((?:\s{2,}[^\n]*\n?)*)/.exec(text);
  return block?.[1] ?? '';
}
