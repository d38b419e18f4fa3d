import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Manifest } from '../../src/core/export/manifest.js';

const run = promisify(execFile);

export async function readManifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(dir, 'event.json'), 'utf8')) as Manifest;
}

/** Waits for the manifest, which is written last, to appear. */
export async function waitForManifest(dir: string, timeoutMs = 20000): Promise<Manifest> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await readManifest(dir);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Files anywhere below `dir` whose names mark an unfinished write. */
export async function leftoverTempFiles(dir: string): Promise<string[]> {
  const all = await readdir(dir, { recursive: true });
  return all.filter((name) => name.endsWith('.tmp'));
}

/**
 * Loads .npy files with the real numpy and returns shape, dtype and pixel sum
 * of each. Fails loudly when numpy is missing: CI installs it.
 */
export async function numpyLoad(files: string[]): Promise<Array<{ shape: number[]; dtype: string; sum: number }>> {
  const script = [
    'import json, sys',
    'import numpy as np',
    'out = []',
    'for f in sys.argv[1:]:',
    '    a = np.load(f)',
    '    out.append({"shape": list(a.shape), "dtype": str(a.dtype), "sum": int(a.sum(dtype=np.uint64))})',
    'print(json.dumps(out))',
  ].join('\n');
  try {
    const { stdout } = await run('python3', ['-c', script, ...files]);
    return JSON.parse(stdout) as Array<{ shape: number[]; dtype: string; sum: number }>;
  } catch (error) {
    throw new Error(`numpy.load failed (is numpy installed? pip install numpy): ${(error as Error).message}`);
  }
}
