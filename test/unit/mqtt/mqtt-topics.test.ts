import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { reconnectDelayMs } from '../../../src/mqtt/broker-connection.js';
import { redactUrl, topicsFor } from '../../../src/mqtt/topics.js';

describe('MQTT topics, URL redaction and reconnect backoff', () => {
  it('builds every topic from the prefix and camera id', () => {
    assert.deepEqual(topicsFor('picam', 'cam-a'), {
      cameraId: 'cam-a',
      trigger: 'picam/cam-a/trigger',
      fleetTrigger: 'picam/all/trigger',
      events: 'picam/cam-a/events',
      night: 'picam/cam-a/night',
      status: 'picam/cam-a/status',
      snapshot: 'picam/cam-a/snapshot',
      state: 'picam/cam-a/state',
      lastEvent: 'picam/cam-a/last_event',
    });
    assert.equal(topicsFor('home/cams/', 'x').trigger, 'home/cams/x/trigger');
  });

  it('uses the host name, made topic-safe, when camera_id is empty', () => {
    const topics = topicsFor('picam', '');
    assert.equal(topics.cameraId, hostname().replace(/[/#+\s]/g, '-') || 'picam');
    assert.doesNotMatch(topics.cameraId, /[/#+\s]/);
  });

  it('never shows a password given in the URL', () => {
    assert.equal(redactUrl('mqtt://user:s3cret@broker:1883'), 'mqtt://user:***@broker:1883');
    assert.equal(redactUrl('mqtts://broker:8883'), 'mqtts://broker:8883');
    assert.doesNotMatch(redactUrl('not a url://u:s3cret@x'), /s3cret/);
  });

  it('backs off from 1 s, doubling to reconnect_max_s, with ±20% jitter never above the cap', () => {
    const mid = (): number => 0.5;
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((attempt) => reconnectDelayMs(attempt, 30, mid)), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    assert.equal(reconnectDelayMs(0, 30, () => 0), 800);
    assert.equal(reconnectDelayMs(1, 30, () => 1), 2400);
    assert.equal(reconnectDelayMs(10, 30, () => 1), 30000);
    assert.equal(reconnectDelayMs(1000, 2, () => 1), 2000);
  });
});
