import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startService, type Service } from '../helpers/service.js';
import { LineClient } from '../helpers/sockets.js';

describe('line trigger allowance below one a second', () => {
  let service: Service;

  before(async () => {
    // One trigger every 100 s: the second SNAP within a test can never be refilled in time.
    service = await startService({ network: { max_triggers_per_s: 0.01 } });
  });

  after(async () => {
    assert.equal(await service.stop(), 0);
  });

  it('max_triggers_per_s 0.01 still allows one trigger, then refuses with ERR BUSY', async () => {
    const client = await LineClient.connect(service.linePort);
    try {
      assert.match(await client.command('SNAP'), /^OK \S+ /);
      assert.equal(await client.command('SNAP'), 'ERR BUSY too many triggers on this connection; slow down');
      // A malformed trigger spends nothing and is told what is wrong.
      assert.match(await client.command('SNAP befor=1'), /^ERR BAD_ARGUMENT befor: unknown field/);
    } finally {
      client.destroy();
    }
  });
});
