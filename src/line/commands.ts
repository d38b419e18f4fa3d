import type { Picam, TriggerRequest } from '../core/index.js';
import { invalidField, PicamError, unknownField } from '../core/index.js';
import { errLine, LINE_CODE } from './reply-codes.js';

export const HELP =
  'OK commands: SNAP|SAVE [wait] [before=S] [after=S] [formats=jpg,png,npy,mp4] [reason=TEXT] [label=TEXT] [stack=on|off]; STATUS; NIGHT; AUTH <token>; HELP; QUIT';

/** What a command asks of the connection besides its reply. */
export interface CommandResult {
  reply: string;
  close?: boolean;
}

/**
 * Runs one command line against the core and returns its one reply line.
 * Commands are case-insensitive; `SAVE` is the manual's spelling of `SNAP`.
 */
export async function runCommand(core: Picam, line: string, allowTrigger: () => boolean = () => true): Promise<CommandResult> {
  let words: string[];
  try {
    words = tokenize(line);
  } catch (error) {
    return { reply: errLine('BAD_ARGUMENT', (error as Error).message) };
  }
  const [name = '', ...args] = words;
  try {
    switch (name.toUpperCase()) {
      case 'SNAP':
      case 'SAVE':
        return { reply: await snap(core, args, allowTrigger) };
      case 'STATUS':
        return { reply: status(core) };
      case 'NIGHT':
        return { reply: night(core) };
      case 'HELP':
        return { reply: HELP };
      case 'QUIT':
        return { reply: 'OK bye', close: true };
      default:
        return { reply: errLine('UNKNOWN_COMMAND', `unknown command ${JSON.stringify(name.slice(0, 32))}; try HELP`) };
    }
  } catch (error) {
    const picamError = PicamError.from(error);
    return { reply: errLine(LINE_CODE[picamError.code], picamError.message) };
  }
}

/** Keys SNAP takes, with the short spellings (`before=3`) mapped to the API's field names. */
const KEY_ALIASES: Record<string, string> = {
  before: 'before_s',
  before_s: 'before_s',
  after: 'after_s',
  after_s: 'after_s',
  reason: 'reason',
  label: 'label',
  formats: 'formats',
  format: 'formats',
  stack: 'stack',
};
const NUMBER_KEYS = new Set(['before_s', 'after_s']);
/** What a SNAP word may be, for the message naming an unknown one. */
const OPTIONS = ['wait', ...Object.keys(KEY_ALIASES).map((key) => `${key}=`)];
const BOOLEANS: Record<string, boolean> = { '1': true, true: true, on: true, yes: true, '0': false, false: false, off: false, no: false };

/** Parses `SNAP` arguments into a core trigger request; throws INVALID_ARGUMENT naming the key. */
export function parseSnapArgs(args: string[]): { wait: boolean; request: Omit<TriggerRequest, 'source'> } {
  let wait = false;
  const request: Record<string, unknown> = {};
  for (const arg of args) {
    if (arg.toLowerCase() === 'wait') {
      wait = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    // Own keys only: `constructor=1` is no option.
    const key = eq > 0 && Object.hasOwn(KEY_ALIASES, name.toLowerCase()) ? KEY_ALIASES[name.toLowerCase()] : undefined;
    if (key === undefined) throw unknownField(name, OPTIONS);
    const value = arg.slice(eq + 1);
    if (NUMBER_KEYS.has(key)) request[key] = value.trim() === '' ? Number.NaN : Number(value);
    else if (key === 'formats') request[key] = value.split(',');
    else if (key === 'stack') {
      const flag = BOOLEANS[value.toLowerCase()];
      if (flag === undefined) throw invalidField('stack', 'on or off', value);
      request[key] = flag;
    } else request[key] = value;
  }
  return { wait, request };
}

async function snap(core: Picam, args: string[], allowTrigger: () => boolean): Promise<string> {
  const { wait, request } = parseSnapArgs(args);
  // Only well-formed triggers spend the connection's allowance.
  if (!allowTrigger()) return errLine('BUSY', 'too many triggers on this connection; slow down');
  const accepted = await core.trigger({ source: 'line', ...request });
  if (!wait) return `OK ${accepted.eventId} ${accepted.dir}`;
  const manifest = await accepted.done;
  if (manifest.error !== undefined) {
    const code = LINE_CODE[manifest.error_code ?? 'INTERNAL'];
    return errLine(code, `${accepted.eventId} ${manifest.state} frames=${manifest.frames.length}: ${manifest.error}`);
  }
  return `OK ${accepted.eventId} ${accepted.dir} ${manifest.state} frames=${manifest.frames.length}`;
}

function status(core: Picam): string {
  const s = core.status();
  return [
    'OK',
    `source=${s.source.kind}`,
    `serving=${s.serving ? 1 : 0}`,
    `fps=${s.source.framesPerSecond.toFixed(1)}`,
    `frames=${s.source.framesCaptured}`,
    `ring=${s.ring.filled}/${s.ring.capacity}`,
    `night=${s.night ? 1 : 0}`,
    `events_pending=${s.eventsPending}`,
    `events_total=${s.eventsTotal}`,
  ].join(' ');
}

function night(core: Picam): string {
  const n = core.nightState();
  return [
    'OK',
    `night=${n.night ? 1 : 0}`,
    `enabled=${n.enabled ? 1 : 0}`,
    `score=${n.darkScore.toFixed(1)}`,
    `normalized=${n.normalizedScore.toFixed(1)}`,
    `dark_threshold=${n.settings.dark_threshold}`,
    `bright_threshold=${n.settings.bright_threshold}`,
    `dark_frames=${n.darkFrames}`,
    `bright_frames=${n.brightFrames}`,
    `exposure_us=${n.exposure.exposureUs}`,
    `gain=${n.exposure.gain}`,
    `mode=${n.settings.mode}`,
    `fps=${n.fps.toFixed(1)}`,
    `transitions=${n.transitions}`,
    `last_transition=${n.lastTransitionMs === undefined ? '-' : new Date(n.lastTransitionMs).toISOString()}`,
  ].join(' ');
}

/** Splits on spaces; `key="a b"` keeps its quoted spaces. */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  const pattern = /([^\s"]*)"([^"]*)"|(\S+)/g;
  for (const match of line.matchAll(pattern)) {
    if (match[3] !== undefined) {
      if (match[3].includes('"')) throw new Error('unbalanced quote');
      words.push(match[3]);
    } else words.push(`${match[1] ?? ''}${match[2] ?? ''}`);
  }
  if ((line.match(/"/g)?.length ?? 0) % 2 === 1) throw new Error('unbalanced quote');
  return words;
}
