import { timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented secret with the configured one in constant time, so
 * the reply's timing says nothing about how much of a guess was right.
 */
export function tokenMatches(configured: string, presented: string | undefined): boolean {
  if (configured === '') return true;
  if (presented === undefined) return false;
  const a = Buffer.from(configured);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
