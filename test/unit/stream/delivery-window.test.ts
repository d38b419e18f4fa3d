import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryWindow, MAX_FRAMES_IN_FLIGHT, type DeliveryProbe } from '../../../src/core/stream/delivery-window.js';

/** A probe whose confirmations the test hands out one by one, in order. */
class ManualProbe implements DeliveryProbe {
  readonly pending: Array<() => void> = [];
  delivered(): Promise<void> {
    return new Promise((resolve) => this.pending.push(resolve));
  }
  confirm(): void {
    this.pending.shift()?.();
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('DeliveryWindow', () => {
  it('lets two frames be in flight, then waits for the oldest to be confirmed', async () => {
    assert.equal(MAX_FRAMES_IN_FLIGHT, 2);
    const probe = new ManualProbe();
    const window = new DeliveryWindow(probe);
    const signal = new AbortController().signal;
    window.sent(1000);
    await window.ready(signal); // one in flight: ready at once
    window.sent(2000);
    assert.deepEqual(window.inFlight, { frames: 2, bytes: 3000 });
    let ready = false;
    const waiting = window.ready(signal).then(() => (ready = true));
    await settle();
    assert.equal(ready, false, 'a third frame waits');
    probe.confirm();
    await waiting;
    assert.deepEqual(window.inFlight, { frames: 1, bytes: 2000 });
    probe.confirm();
    await settle();
    assert.deepEqual(window.inFlight, { frames: 0, bytes: 0 });
  });

  it('stops waiting when the stream is cancelled', async () => {
    const probe = new ManualProbe();
    const window = new DeliveryWindow(probe);
    const abort = new AbortController();
    window.sent(1);
    window.sent(1);
    const waiting = window.ready(abort.signal);
    abort.abort();
    await waiting;
    assert.equal(window.inFlight.frames, 2, 'nothing was confirmed; the wait ended by the abort');
  });
});
