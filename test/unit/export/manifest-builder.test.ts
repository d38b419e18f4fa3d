import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildManifest, frameRecord, type ExportOutcome } from '../../../src/core/export/manifest-builder.js';
import { upgradeManifest } from '../../../src/core/export/manifest.js';

const meta = (id: number) => ({ id, length: 10, timestampMs: Date.UTC(2026, 11, 1, 12, 0, 0, id), monotonicMs: 1000 + id / 3, darkScore: 12.345, night: true, exposureUs: 33000, gain: 4 });

function outcome(overrides: Partial<ExportOutcome> = {}): ExportOutcome {
  return {
    eventId: '20261201T120000000Z-abcdef',
    trigger: { source: 'line', reason: 'door', label: 'front', timeMs: Date.UTC(2026, 11, 1, 12, 0, 0), monotonicMs: 1000 },
    window: { beforeS: 1, afterS: 2, startMonotonicMs: 0, endMonotonicMs: 3000 },
    formats: ['jpg', 'npy'],
    geometry: { width: 320, height: 240, format: 'yuv420', colorRange: 'full' },
    frames: [frameRecord(meta(3), 'raw', ['b.npy', 'a.jpg']), frameRecord(meta(2), 'jpeg q80', ['c.jpg'])],
    missing: [],
    stacks: [],
    cancelled: false,
    finishedMs: Date.UTC(2026, 11, 1, 12, 0, 5),
    bytes: 1234,
    ...overrides,
  };
}

describe('buildManifest', () => {
  it('writes version 2 with frames in the proto vocabulary, sorted by id, files sorted', () => {
    const manifest = buildManifest(outcome({ clip: 'clip.mp4' }));
    assert.equal(manifest.version, 2);
    assert.equal(manifest.state, 'complete');
    assert.deepEqual(
      manifest.frames.map((f) => f.frame_id),
      [2, 3],
    );
    assert.deepEqual(manifest.frames[1], {
      frame_id: 3,
      capture_time: '2026-12-01T12:00:00.003Z',
      capture_time_ms: Date.UTC(2026, 11, 1, 12, 0, 0, 3),
      monotonic_ms: 1001,
      dark_score: 12.35,
      night: true,
      exposure_us: 33000,
      gain: 4,
      tier: 'raw',
      files: ['a.jpg', 'b.npy'],
    });
    assert.deepEqual(manifest.window, { before_s: 1, after_s: 2, start: '2026-12-01T11:59:59.000Z', end: '2026-12-01T12:00:02.000Z', start_monotonic_ms: 0, end_monotonic_ms: 3000 });
    assert.deepEqual(manifest.capture, { format: 'yuv420', width: 320, height: 240, color_range: 'full' });
    assert.equal(manifest.clip, 'clip.mp4');
    assert.equal(manifest.finished, '2026-12-01T12:00:05.000Z');
    assert.equal(manifest.error, undefined);
  });

  it('says partial with missing frames, failed when an error left no frame, cancelled with its message', () => {
    assert.equal(buildManifest(outcome({ missing: [{ first_id: 1, last_id: 1, reason: 'x' }] })).state, 'partial');
    const failed = buildManifest(outcome({ frames: [], error: { message: 'disk full', code: 'RESOURCE_EXHAUSTED' }, clip: 'clip.mp4' }));
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error_code, 'RESOURCE_EXHAUSTED');
    assert.equal(failed.clip, undefined, 'no clip claimed when the export failed');
    assert.equal(buildManifest(outcome({ error: { message: 'disk full', code: 'RESOURCE_EXHAUSTED' } })).state, 'partial');
    const cancelled = buildManifest(outcome({ cancelled: true }));
    assert.equal(cancelled.state, 'cancelled');
    assert.equal(cancelled.error_code, 'NOT_FOUND');
    assert.equal(buildManifest(outcome({ frames: [] })).state, 'complete', 'an empty window is complete with 0 frames');
  });
});

describe('upgradeManifest', () => {
  it('reads a version 1 event.json (id/timestamp/timestamp_ms) in today\'s shape, and passes version 2 through', () => {
    const v1 = {
      version: 1,
      event_id: 'e',
      state: 'complete',
      frames: [{ id: 7, timestamp: '2026-01-01T00:00:00.000Z', timestamp_ms: 1767225600000, monotonic_ms: 5, dark_score: 1, night: false, exposure_us: 1, gain: 1, files: ['x.jpg'] }],
      missing: [],
      stacks: [],
    };
    const upgraded = upgradeManifest(v1);
    assert.equal(upgraded.version, 2);
    assert.deepEqual(upgraded.frames[0], {
      frame_id: 7,
      capture_time: '2026-01-01T00:00:00.000Z',
      capture_time_ms: 1767225600000,
      monotonic_ms: 5,
      dark_score: 1,
      night: false,
      exposure_us: 1,
      gain: 1,
      tier: 'raw',
      files: ['x.jpg'],
    });
    const v2 = buildManifest(outcome());
    assert.deepEqual(upgradeManifest(JSON.parse(JSON.stringify(v2))), v2);
  });
});
