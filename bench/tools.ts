import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../test/helpers/service.js';
import { progress } from './report.js';

/** A tool the bench needs is missing: the run stops with this message, nothing is skipped. */
export class MissingToolError extends Error {
  override readonly name = 'MissingToolError';
}

export function requireTool(command: string, versionArgs: string[], remedy: string): void {
  const result = spawnSync(command, versionArgs, { stdio: 'ignore' });
  if (result.error || result.status !== 0) {
    throw new MissingToolError(`${command} is required by the bench and ${result.error ? 'was not found' : `exited ${result.status}`}: ${remedy}`);
  }
}

export const REFERENCE_PYTHON = path.join(ROOT, 'bench/reference/.venv/bin/python');
export const CLIENT_PYTHON = path.join(ROOT, 'clients/python/.venv/bin/python');

/**
 * Makes a venv by its setup script when it is missing, then proves it
 * imports what the bench uses; any failure stops the run.
 */
export function ensureVenv(python: string, setupScript: string, imports: string): void {
  if (!existsSync(python)) {
    progress(`${path.relative(ROOT, python)} missing: running ${path.relative(ROOT, setupScript)}`);
    // Its output goes to stderr: stdout carries only the tables.
    const setup = spawnSync('bash', [setupScript], { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] });
    if (setup.error || setup.status !== 0) {
      throw new MissingToolError(`${path.relative(ROOT, setupScript)} failed (${setup.error?.message ?? `exit ${setup.status}`}); the bench needs ${path.relative(ROOT, python)}`);
    }
  }
  const check = spawnSync(python, ['-c', `import ${imports}`], { encoding: 'utf8' });
  if (check.error || check.status !== 0) {
    throw new MissingToolError(`${path.relative(ROOT, python)} cannot import ${imports}: ${check.error?.message ?? check.stderr.trim()}; remove the venv and run ${path.relative(ROOT, setupScript)}`);
  }
}

export function ensureReferenceVenv(): void {
  ensureVenv(REFERENCE_PYTHON, path.join(ROOT, 'bench/reference/setup.sh'), 'cv2, numpy');
}

export function ensureClientVenv(): void {
  ensureVenv(CLIENT_PYTHON, path.join(ROOT, 'clients/python/setup.sh'), 'grpc, picam_client');
}

export function requireFfmpeg(): void {
  requireTool('ffmpeg', ['-hide_banner', '-version'], 'install it (apt-get install ffmpeg)');
}
