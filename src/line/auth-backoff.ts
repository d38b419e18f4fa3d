/** Wrong tokens an address may send before each further AUTH from it is held back. */
const FREE_FAILURES = 3;
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;
/** An address with no failure for this long starts afresh. */
const FORGET_MS = 15 * 60_000;
/** Addresses remembered at most; the least recently failing are forgotten first. */
const MAX_ADDRESSES = 4096;

/**
 * Slows down token guessing per peer address, across connections: closing a
 * connection after three wrong tokens alone lets a guesser reconnect and go
 * on. After FREE_FAILURES, every AUTH from that address waits 250 ms,
 * doubling per further failure up to 10 s, before it is even checked; the
 * right token clears the address. Memory is bounded by MAX_ADDRESSES.
 */
export class AuthBackoff {
  private readonly failures = new Map<string, { count: number; lastMs: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** How long an AUTH from `address` is held back before it is checked. */
  delayMs(address: string): number {
    const entry = this.entry(address);
    if (!entry || entry.count < FREE_FAILURES) return 0;
    return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(entry.count - FREE_FAILURES, 16));
  }

  /** Records a wrong token; returns the failures from `address` so far. */
  failed(address: string): number {
    const count = (this.entry(address)?.count ?? 0) + 1;
    this.failures.delete(address); // re-inserted last: the Map's order is least recently failing first
    this.failures.set(address, { count, lastMs: this.now() });
    while (this.failures.size > MAX_ADDRESSES) this.failures.delete(this.failures.keys().next().value!);
    return count;
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }

  private entry(address: string): { count: number; lastMs: number } | undefined {
    const entry = this.failures.get(address);
    if (entry && this.now() - entry.lastMs > FORGET_MS) {
      this.failures.delete(address);
      return undefined;
    }
    return entry;
  }
}
