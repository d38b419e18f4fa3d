import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * Everything the bench starts or creates, so an interrupted run (Ctrl-C, a
 * failed section, SIGTERM from CI) leaves no service, Python client or temp
 * folder behind. Normal paths release what they made themselves; this is
 * the backstop.
 */
const children = new Set<ChildProcess>();
const folders = new Set<string>();
const stoppers = new Set<() => Promise<unknown>>();

export function trackChild(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function trackFolder(folder: string): string {
  folders.add(folder);
  return folder;
}

export function releaseFolder(folder: string): void {
  folders.delete(folder);
}

/** Registers an async stop (a service's SIGTERM-and-wait); returns the function that unregisters it. */
export function trackStop(stop: () => Promise<unknown>): () => void {
  stoppers.add(stop);
  return () => stoppers.delete(stop);
}

function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

function removeFolders(): void {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  folders.clear();
}

/** Stops services gracefully (bounded), then kills whatever is left and removes temp folders. */
export async function cleanupAll(): Promise<void> {
  const pending = [...stoppers];
  stoppers.clear();
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise((resolve) => {
    timer = setTimeout(resolve, 8000);
  });
  await Promise.race([Promise.allSettled(pending.map((stop) => stop())), bound]);
  clearTimeout(timer);
  killChildren();
  removeFolders();
}

export function installSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, cleaning up\n`);
      void cleanupAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  // Last resort on any exit path: no await possible here, so kill and remove synchronously.
  process.once('exit', () => {
    killChildren();
    removeFolders();
  });
}
