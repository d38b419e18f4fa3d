#!/usr/bin/env node
import { nodeVersionProblem } from './node-version.js';

/**
 * The `picam` command. Checks the Node version before anything else loads:
 * main.js imports sharp and gRPC, which on an older Node fail with a stack
 * trace that says nothing about the real cause. Exit 2, like a bad config,
 * so systemd does not restart it in a loop (RestartPreventExitStatus=2).
 */
const problem = nodeVersionProblem(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(`picam: ${problem}\n`);
  process.exit(2);
}
await import('./main.js');
