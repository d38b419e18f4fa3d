import assert from 'node:assert/strict';
import { it } from 'node:test';
import { tokenize } from '../../../src/line/commands.js';

it('splits command lines, keeping quoted values whole', () => {
  assert.deepEqual(tokenize('SNAP  before_s=1 reason="front door"'), ['SNAP', 'before_s=1', 'reason=front door']);
  assert.deepEqual(tokenize('  status '), ['status']);
  assert.throws(() => tokenize('SNAP reason="open'), /unbalanced quote/);
});
