import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SyntheticSource } from '../../../src/core/capture/synthetic-source.js';
import { parseConfig } from '../../../src/core/config/load-config.js';
import type { CoreEvent } from '../../../src/core/feed/core-event.js';
import { EventFeed } from '../../../src/core/feed/event-feed.js';
import { History } from '../../../src/core/history/history.js';
import { FrameIngest } from '../../../src/core/ingest/frame-ingest.js';
import { createLogger } from '../../../src/core/logger.js';
import { NightBridge } from '../../../src/core/night/night-bridge.js';
import { NightController } from '../../../src/core/night/night-controller.js';
import { RingBuffer } from '../../../src/core/ring/ring-buffer.js';
import { LiveConfig } from '../../../src/core/runtime-config/live-config.js';
import { ServingWatchdog } from '../../../src/core/serving/serving-watchdog.js';
import { systemClock } from '../../../src/core/clock.js';

/** Real parts end to end, without a process: a synthetic source rendered by hand into the ring through the sink. */
function rig(exposureUs: number) {
  const config = new LiveConfig(parseConfig({ night: { min_dark_frames: 5 }, camera: { exposure_us: exposureUs } }), '/nonexistent/config.json');
  const source = new SyntheticSource({ width: 64, height: 48, framerate: 30, cycleFrames: 0, day: { exposureUs, gain: 1 } });
  const ring = new RingBuffer(16, 64 * 48 * 3);
  const feed = new EventFeed<CoreEvent>(16, (error) => assert.fail(String(error)));
  const events: CoreEvent[] = [];
  feed.listen((event) => events.push(event));
  const history = new History();
  const logger = createLogger('silent');
  const controller = new NightController(config.current.night, source.dayExposure);
  const night = new NightBridge({ controller, source, ring, config, history, feed, logger, clock: systemClock });
  const watchdog = new ServingWatchdog({ expectedFps: () => 30, stalled: () => undefined });
  const counted: number[] = [];
  const ingest = new FrameIngest({ source, ring, tier: undefined, night, watchdog, logger, counted: (n) => counted.push(n) });
  const sink = ingest.sink();
  const feedFrames = (count: number, from = 0): void => {
    for (let n = from; n < from + count; n++) {
      const capture = source.renderInto(sink.acquire(), 1_000_000 + Math.round((n * 1000) / 30), (n * 1000) / 30);
      sink.commit(64 * 48 * 3, capture);
    }
  };
  return { ring, ingest, watchdog, events, counted, feedFrames, sink };
}

describe('frame ingest', () => {
  it('commits each frame with its dark score, counts it, measures the rate and wakes readers', () => {
    const { ring, ingest, watchdog, counted, feedFrames } = rig(10_000);
    let woken = 0;
    const stop = ingest.onFrame(() => woken++);
    assert.equal(ingest.listeners, 1);
    feedFrames(40);
    stop();
    assert.equal(ingest.listeners, 0);
    assert.equal(ingest.framesCaptured, 40);
    assert.equal(woken, 40);
    assert.deepEqual(counted, Array.from({ length: 40 }, (_, i) => i + 1));
    assert.equal(ring.newestId - ring.oldestId + 1, 16, 'the ring keeps its capacity');
    const meta = ring.get(ring.newestId)!.meta;
    assert.ok(meta.darkScore > 60, `a daylight frame scores bright: ${meta.darkScore}`);
    assert.ok(Math.abs(ingest.fps - 30) < 1, `measured ${ingest.fps} fps from timestamps 1/30 s apart`);
    assert.equal(watchdog.isServing, true);
  });

  it('reuses one metadata record: what the ring holds for a frame is not changed by the next', () => {
    const { ring, feedFrames } = rig(10_000);
    feedFrames(2);
    const first = ring.get(ring.oldestId)!.meta;
    feedFrames(1, 2);
    assert.deepEqual(ring.get(ring.oldestId)!.meta, first);
  });

  it('a dark scene enters night after min_dark_frames, announced once on the feed', () => {
    const { events, ring, feedFrames } = rig(500);
    feedFrames(12);
    const night = events.filter((e) => e.kind === 'night');
    assert.equal(night.length, 1, JSON.stringify(events));
    assert.equal(night[0]!.kind === 'night' && night[0]!.transition.night, true);
    assert.equal(ring.get(ring.newestId)!.meta.night, true, 'frames after the switch carry the night flag');
  });

  it('counts frames the source could not deliver and keeps its last error', () => {
    const { ingest, sink } = rig(10_000);
    sink.dropped('too big');
    sink.error('camera gone');
    assert.equal(ingest.framesDropped, 1);
    assert.equal(ingest.lastError, 'camera gone');
  });
});
