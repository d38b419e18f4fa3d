/**
 * The oldest Node picam runs on: sharp 0.35 needs 20.9 (Raspberry Pi OS
 * Bookworm's apt ships Node 18, which would crash while loading sharp).
 */
export const MIN_NODE = '20.9.0';

/** Why this Node version cannot run picam, or undefined when it can. Pure, so it is unit-tested. */
export function nodeVersionProblem(version: string, minimum = MIN_NODE): string | undefined {
  const parse = (v: string): number[] => v.replace(/^v/, '').split('.').map((part) => Number.parseInt(part, 10) || 0);
  const have = parse(version);
  const need = parse(minimum);
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) > (need[i] ?? 0)) return undefined;
    if ((have[i] ?? 0) < (need[i] ?? 0)) {
      return `Node ${minimum} or newer is needed, this is Node ${version.replace(/^v/, '')} (${process.execPath}); see README "Install on a Raspberry Pi"`;
    }
  }
  return undefined;
}
