import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eachEvent, EventFeed } from '../../../src/core/feed/event-feed.js';

describe('event feed', () => {
  it('delivers to an iterator registered at the call, before its first next()', async () => {
    const feed = new EventFeed<number>(8, () => assert.fail('no listener fails'));
    const stop = new AbortController();
    const events = feed.events(stop.signal);
    feed.publish(1);
    feed.publish(2);
    assert.deepEqual([(await events.next()).value, (await events.next()).value], [1, 2]);
    stop.abort();
  });

  it('keeps the newest `capacity` events for a reader that stops reading, counting the dropped', async () => {
    const feed = new EventFeed<number>(3, () => undefined);
    const stop = new AbortController();
    const slow = feed.events(stop.signal);
    const fast: number[] = [];
    const reading = eachEvent(feed.events(stop.signal), (n) => fast.push(n), () => assert.fail());
    for (let n = 1; n <= 10; n++) {
      feed.publish(n);
      await Promise.resolve();
    }
    assert.equal(slow.dropped, 7);
    assert.equal(feed.dropped, 7, 'only the slow reader dropped');
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await slow.next()).value);
    assert.deepEqual(got, [8, 9, 10], 'oldest dropped first');
    stop.abort();
    await reading;
    assert.deepEqual(fast, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'a reader that keeps up gets everything');
  });

  it('isolates a throwing listener, sync or async: the others still get the event and nothing escapes', async () => {
    const failures: unknown[] = [];
    const feed = new EventFeed<string>(4, (error) => failures.push(error));
    const seen: string[] = [];
    feed.listen(() => {
      throw new Error('sync');
    });
    feed.listen(() => Promise.reject(new Error('async')));
    feed.listen((event) => seen.push(event));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      assert.doesNotThrow(() => feed.publish('a'));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(seen, ['a']);
    assert.deepEqual(failures.map((e) => (e as Error).message).sort(), ['async', 'sync']);
    assert.deepEqual(unhandled, []);
  });

  it('survives a failure reporter that itself throws', () => {
    const feed = new EventFeed<number>(1, () => {
      throw new Error('reporter');
    });
    feed.listen(() => {
      throw new Error('listener');
    });
    assert.doesNotThrow(() => feed.publish(1));
  });

  it('eachEvent goes on after a handler throws', async () => {
    const feed = new EventFeed<number>(8, () => undefined);
    const stop = new AbortController();
    const handled: number[] = [];
    const failed: unknown[] = [];
    const loop = eachEvent(
      feed.events(stop.signal),
      (n) => {
        if (n === 2) throw new Error('two');
        handled.push(n);
      },
      (error) => failed.push(error),
    );
    [1, 2, 3].forEach((n) => feed.publish(n));
    await new Promise((resolve) => setImmediate(resolve));
    stop.abort();
    await loop;
    assert.deepEqual(handled, [1, 3]);
    assert.equal(failed.length, 1);
  });

  it('abort ends a waiting iterator and unregisters it; an aborted signal gives an ended one', async () => {
    const feed = new EventFeed<number>(2, () => undefined);
    const stop = new AbortController();
    const events = feed.events(stop.signal);
    assert.equal(feed.subscribers, 1);
    const waiting = events.next();
    stop.abort();
    assert.deepEqual(await waiting, { done: true, value: undefined });
    assert.equal(feed.subscribers, 0);
    feed.publish(1);
    assert.equal((await events.next()).done, true);
    assert.equal((await feed.events(AbortSignal.abort()).next()).done, true);
    assert.equal(feed.subscribers, 0);
  });

  it('breaking out of for-await unregisters the iterator', async () => {
    const feed = new EventFeed<number>(2, () => undefined);
    const events = feed.events(new AbortController().signal);
    feed.publish(1);
    for await (const n of events) {
      assert.equal(n, 1);
      break;
    }
    assert.equal(feed.subscribers, 0);
  });
});
