import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError, parseConfig } from '../../src/core/config/load-config.js';
import { PicamError } from '../../src/core/errors.js';
import { parseSnapArgs, tokenize } from '../../src/line/commands.js';

/** Any JSON-ish value, including the wrong types a hand-edited config holds. */
const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }));
const sections = ['camera', 'ring', 'night', 'export', 'network', 'logging', 'extra'];
const keys = ['width', 'height', 'framerate', 'frames', 'seconds', 'enable', 'dark_threshold', 'formats', 'port', 'level', 'source', 'codec', 'x'];

describe('fuzz', () => {
  it('the config loader either accepts a config or names every bad field; it never throws anything else', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...sections), fc.oneof(anyValue, fc.dictionary(fc.constantFrom(...keys), anyValue))), (raw) => {
        try {
          parseConfig(raw);
        } catch (error) {
          assert.ok(error instanceof ConfigError, `unexpected ${String(error)}`);
          assert.ok(error.issues.length > 0);
          for (const issue of error.issues) assert.match(issue.message, /^[\w.()]+(\.\d+)?: /, issue.message);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('the line parser turns any input into words or a clear BAD_ARGUMENT, never a crash', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (line) => {
        let words: string[];
        try {
          words = tokenize(line);
        } catch (error) {
          assert.match((error as Error).message, /unbalanced quote/);
          return;
        }
        try {
          parseSnapArgs(words);
        } catch (error) {
          assert.ok(error instanceof PicamError && error.code === 'INVALID_ARGUMENT', `unexpected ${String(error)}`);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
