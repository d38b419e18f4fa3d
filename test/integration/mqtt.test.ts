import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readManifest, waitForManifest } from '../helpers/files.js';
import { freePort, startBroker, Watcher, type Broker, type Received } from '../helpers/mqtt.js';
import { startService, type Service } from '../helpers/service.js';
import { LineClient } from '../helpers/sockets.js';

/** An event message of `camera` of `type`, for `requestId` when given. */
const eventMessage =
  (camera: string, type: string, requestId?: string | number) =>
  (m: Received): boolean =>
    m.topic === `picam/${camera}/events` && m.json?.type === type && (requestId === undefined || m.json.request_id === requestId);

const online = (camera: string, value = 'online') => (m: Received): boolean => m.topic === `picam/${camera}/status` && m.text === value;

function mqttOverrides(url: string, cameraId: string): Record<string, Record<string, unknown>> {
  return {
    mqtt: { enabled: true, url, camera_id: cameraId, reconnect_max_s: 2 },
    export: { save_before_s: 0.2, save_after_s: 0.2 },
  };
}

/** Latest event folders under a service's events dir. */
async function eventIds(service: Service): Promise<string[]> {
  const days = await readdir(service.eventsDir).catch(() => []);
  const ids: string[] = [];
  for (const day of days) ids.push(...(await readdir(path.join(service.eventsDir, day))));
  return ids.sort();
}

describe('MQTT fleet against a real Mosquitto broker', () => {
  let broker: Broker;
  let watcher: Watcher;
  /** Triggers come from their own connection, as from mosquitto_pub or a controller. */
  let publisher: Watcher;
  let camA: Service;
  let camB: Service;

  before(async () => {
    broker = await startBroker();
    watcher = await Watcher.connect(broker.url);
    publisher = await Watcher.connect(broker.url, undefined);
    [camA, camB] = await Promise.all([startService(mqttOverrides(broker.url, 'cam-a')), startService(mqttOverrides(broker.url, 'cam-b'))]);
    // `online` goes out once the trigger subscriptions are granted: from then on a trigger reaches the camera.
    await watcher.waitFor('cam-a online', online('cam-a'));
    await watcher.waitFor('cam-b online', online('cam-b'));
  });

  after(async () => {
    await Promise.all([camA?.stop(), camB?.stop()]);
    await watcher?.close();
    await publisher?.close();
    await broker?.stop();
  });

  it('one publish to picam/all/trigger makes both cameras save an event and report it', async (t) => {
    const latencies: number[] = [];
    for (let round = 1; round <= 5; round++) {
      const requestId = `fleet-${round}`;
      const from = watcher.mark();
      const sentAt = await publisher.publish('picam/all/trigger', JSON.stringify({ reason: 'fleet', request_id: requestId }));
      const accepted = await Promise.all(['cam-a', 'cam-b'].map((camera) => watcher.waitFor(`${camera} accepted`, eventMessage(camera, 'accepted', requestId), from)));
      latencies.push(Math.max(...accepted.map((m) => m.atMs)) - sentAt);
      const complete = await Promise.all(['cam-a', 'cam-b'].map((camera) => watcher.waitFor(`${camera} complete`, eventMessage(camera, 'complete', requestId), from)));
      if (round > 1) continue;
      for (const [i, service] of [camA, camB].entries()) {
        const acc = accepted[i]!.json!;
        const done = complete[i]!.json!;
        assert.equal(acc.source, 'mqtt');
        assert.equal(acc.reason, 'fleet');
        assert.equal(done.event_id, acc.event_id);
        const dir = String(done.dir);
        assert.ok(dir.startsWith(service.eventsDir), `${dir} is under ${service.eventsDir}`);
        const manifest = await readManifest(dir);
        assert.equal(manifest.state, 'complete');
        assert.equal(manifest.trigger.source, 'mqtt');
        assert.equal(manifest.trigger.reason, 'fleet');
        assert.equal(done.frames, manifest.frames.length);
        assert.ok(manifest.frames.length > 0);
        assert.deepEqual(done.formats, manifest.formats);
      }
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    t.diagnostic(
      `fleet trigger latency, publish -> both cameras' accepted received (2 cameras, loopback broker, 5 rounds): ` +
        `median ${sorted[2]!.toFixed(1)} ms, min ${sorted[0]!.toFixed(1)} ms, max ${sorted[4]!.toFixed(1)} ms, first (cold) ${latencies[0]!.toFixed(1)} ms`,
    );
  });

  it('a camera topic triggers that camera only, with the JSON fields applied', async () => {
    const before = await eventIds(camB);
    const from = watcher.mark();
    await watcher.publish('picam/cam-a/trigger', JSON.stringify({ label: 'porch', reason: 'door', before_s: 0.1, after_s: 0.1, formats: ['jpg', 'npy'], request_id: 'a-1' }));
    const accepted = await watcher.waitFor('cam-a accepted', eventMessage('cam-a', 'accepted', 'a-1'), from);
    assert.equal(accepted.json!.label, 'porch');
    const done = await watcher.waitFor('cam-a complete', eventMessage('cam-a', 'complete', 'a-1'), from);
    const manifest = await readManifest(String(done.json!.dir));
    assert.equal(manifest.trigger.label, 'porch');
    assert.equal(manifest.trigger.reason, 'door');
    assert.equal(manifest.window.before_s, 0.1);
    assert.deepEqual(manifest.formats, ['jpg', 'npy']);
    assert.equal(done.json!.label, 'porch');
    // cam-b would have answered long before cam-a's export finished.
    assert.equal(watcher.messages.slice(from).filter((m) => m.topic.startsWith('picam/cam-b/')).length, 0);
    assert.deepEqual(await eventIds(camB), before);
  });

  it('a bad payload gets a rejected message naming the problem, and the bridge goes on', async () => {
    const from = watcher.mark();
    await watcher.publish('picam/cam-a/trigger', '{"label": ');
    const badJson = await watcher.waitFor('rejected invalid JSON', eventMessage('cam-a', 'rejected'), from);
    assert.equal(badJson.json!.field, 'payload');
    assert.match(String(badJson.json!.error), /^payload: expected empty, SNAP or a JSON object, received invalid JSON/);

    await watcher.publish('picam/cam-a/trigger', JSON.stringify({ before_s: -1, request_id: 'bad-1' }));
    const badValue = await watcher.waitFor('rejected before_s', eventMessage('cam-a', 'rejected', 'bad-1'), from);
    assert.deepEqual(
      { error: badValue.json!.error, error_code: badValue.json!.error_code, field: badValue.json!.field, topic: badValue.json!.topic },
      { error: 'before_s: expected number >= 0, received -1', error_code: 'INVALID_ARGUMENT', field: 'before_s', topic: 'picam/cam-a/trigger' },
    );
    await watcher.publish('picam/cam-a/trigger', JSON.stringify({ colour: 'red', request_id: 'bad-2' }));
    const unknown = await watcher.waitFor('rejected unknown field', eventMessage('cam-a', 'rejected', 'bad-2'), from);
    assert.equal(unknown.json!.field, 'colour');
    await watcher.publish('picam/cam-a/trigger', JSON.stringify({ formats: ['gif'], request_id: 'bad-3' }));
    const format = await watcher.waitFor('rejected format', eventMessage('cam-a', 'rejected', 'bad-3'), from);
    assert.match(String(format.json!.error), /^formats\.0: expected one of/);

    await watcher.publish('picam/cam-a/trigger', 'SNAP');
    const snap = await watcher.waitFor('cam-a accepted after the bad ones', eventMessage('cam-a', 'accepted'), from);
    assert.equal(snap.json!.source, 'mqtt');
    assert.equal(snap.json!.request_id, null);
    assert.equal(camA.logs.filter((line) => line.level === 'error' || line.level === 'fatal').length, 0);
  });

  it('retained triggers never fire, neither when published nor when cleared; over-long windows are rejected', async () => {
    const from = watcher.mark();
    await publisher.publish('picam/cam-a/trigger', JSON.stringify({ reason: 'sticky', request_id: 'retained-1' }), true);
    const refused = await watcher.waitFor('retained trigger rejected', eventMessage('cam-a', 'rejected'), from);
    assert.equal(refused.json!.field, 'retain');
    // Clearing it (an empty retained message) is no trigger either.
    await publisher.publish('picam/cam-a/trigger', '', true);
    await publisher.publish('picam/cam-a/trigger', JSON.stringify({ after_s: 3600, request_id: 'long-1' }));
    const long = await watcher.waitFor('over-long window rejected', eventMessage('cam-a', 'rejected', 'long-1'), from);
    assert.equal(long.json!.error, 'after_s: expected before_s + after_s <= 60 s (export.max_window_s), received 0.2 + 3600');
    await publisher.publish('picam/cam-a/trigger', JSON.stringify({ request_id: 'sentinel' }));
    await watcher.waitFor('sentinel complete', eventMessage('cam-a', 'complete', 'sentinel'), from);
    const accepted = watcher.messages.slice(from).filter(eventMessage('cam-a', 'accepted'));
    assert.deepEqual(accepted.map((m) => m.json!.request_id), ['sentinel'], 'only the plain trigger fired');
    assert.equal(watcher.messages.slice(from).filter(eventMessage('cam-a', 'rejected')).length, 2, 'the clearing message is ignored quietly');
  });

  it('events from the line protocol are published too', async () => {
    const from = watcher.mark();
    const client = await LineClient.connect(camA.linePort);
    try {
      const reply = await client.command('SNAP reason=local');
      const [, id] = /^OK (\S+) /.exec(reply) ?? assert.fail(reply);
      const accepted = await watcher.waitFor('accepted from line', (m) => eventMessage('cam-a', 'accepted')(m) && m.json!.event_id === id, from);
      assert.equal(accepted.json!.source, 'line');
      assert.equal(accepted.json!.reason, 'local');
      const done = await watcher.waitFor('complete from line', (m) => eventMessage('cam-a', 'complete')(m) && m.json!.event_id === id, from);
      assert.equal(done.json!.source, 'line');
      assert.ok(Number(done.json!.frames) > 0);
    } finally {
      client.destroy();
    }
  });

  it('survives a broker outage: local SNAP goes on, the bridge reconnects, fleet triggers work again', async () => {
    const { port } = broker;
    const lostAt = camA.logs.length;
    await broker.stop();
    const down = watcher.mark();
    await camA.waitForLog((line) => camA.logs.indexOf(line) >= lostAt && line.msg.startsWith('mqtt: lost the broker'), 5000);

    const client = await LineClient.connect(camA.linePort);
    try {
      const reply = await client.command('SNAP wait reason=outage');
      const [, , dir] = /^OK (\S+) (\S+) complete frames=\d+$/.exec(reply) ?? assert.fail(reply);
      assert.equal((await waitForManifest(dir!)).state, 'complete');
    } finally {
      client.destroy();
    }

    broker = await startBroker(port);
    await watcher.ready();
    await camA.waitForLog((line) => camA.logs.indexOf(line) >= lostAt && line.msg.startsWith('mqtt: reconnected'), 10000);
    await camB.waitForLog((line) => line.msg.startsWith('mqtt: reconnected'), 10000);
    // Mosquitto restarted without persistence: these are the cameras' fresh announcements.
    await watcher.waitFor('cam-a online again', online('cam-a'), down);
    await watcher.waitFor('cam-b online again', online('cam-b'), down);
    const reconnected = camA.logs.find((line) => camA.logs.indexOf(line) >= lostAt && line.msg.startsWith('mqtt: reconnected'))!;
    assert.ok(Number(reconnected.not_sent) >= 2, `the SNAP's accepted and complete were dropped, not queued: ${JSON.stringify(reconnected)}`);

    const from = watcher.mark();
    await watcher.publish('picam/all/trigger', '');
    await watcher.waitFor('cam-a complete after the outage', eventMessage('cam-a', 'complete'), from);
    await watcher.waitFor('cam-b complete after the outage', eventMessage('cam-b', 'complete'), from);
  });

  it('status is retained: online while running, offline after a clean stop and by last will after SIGKILL', async () => {
    const statusOf = async (camera: string, expected: string): Promise<Received> => {
      const fresh = await Watcher.connect(broker.url, `picam/${camera}/status`);
      try {
        return await fresh.waitFor(`retained ${expected} for ${camera}`, (m) => m.retain && m.text === expected);
      } finally {
        await fresh.close();
      }
    };
    await statusOf('cam-a', 'online');
    await statusOf('cam-b', 'online');

    assert.equal(await camA.stop(), 0);
    assert.ok(camA.logs.some((line) => line.msg === 'mqtt: published offline and disconnected'));
    // After a clean DISCONNECT the broker drops the will: `offline` is there only because picam sent it.
    await statusOf('cam-a', 'offline');

    const from = watcher.mark();
    assert.equal(await camB.stop({ signal: 'SIGKILL' }), null);
    await watcher.waitFor('cam-b last will', online('cam-b', 'offline'), from, 5000);
    await statusOf('cam-b', 'offline');
  });
});

describe('MQTT with no broker at start', () => {
  it('starts anyway, connects when the broker appears, and publishes the night state and its transitions', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    const overrides = mqttOverrides(url, 'cam-late');
    const service = await startService({
      ...overrides,
      // Mosquitto with allow_anonymous takes any credentials: enough to check they never reach the log.
      mqtt: { ...overrides.mqtt, username: 'cam', password: 's3cret-pw' },
      camera: { synthetic_cycle_frames: 120 },
      night: { min_dark_frames: 5, dark_threshold: 40, bright_threshold: 60, exposure_us: 20000, gain: 4 },
    });
    let broker: Broker | undefined;
    let watcher: Watcher | undefined;
    try {
      // startService returned on the "listening" line: start-up did not wait for the broker.
      await service.waitForLog((line) => line.msg.startsWith('mqtt: broker unreachable'), 5000);
      broker = await startBroker(port);
      watcher = await Watcher.connect(broker.url);
      await service.waitForLog((line) => line.msg.startsWith('mqtt: connected'), 10000);
      await watcher.waitFor('cam-late online', online('cam-late'));
      const state = await watcher.waitFor('night state on connect', (m) => m.topic === 'picam/cam-late/night' && m.json?.transition === false);
      assert.equal(typeof state.json!.dark_score, 'number');
      const late = await Watcher.connect(broker.url, 'picam/cam-late/night');
      try {
        await late.waitFor('retained night state', (m) => m.retain && m.json?.type === 'night');
      } finally {
        await late.close();
      }
      const on = await watcher.waitFor('night on', (m) => m.topic === 'picam/cam-late/night' && m.json?.transition === true && m.json.night === true, 0, 15000);
      assert.equal(on.json!.exposure_us, 20000);
      assert.equal(on.json!.gain, 4);
      assert.equal(on.json!.fps, 30, 'slow_video at 20 ms exposure: capped by camera.framerate');
      assert.ok(Number(on.json!.dark_score) < 40);
      const off = await watcher.waitFor('night off', (m) => m.topic === 'picam/cam-late/night' && m.json?.transition === true && m.json.night === false, 0, 15000);
      assert.ok(Number(off.json!.time_ms) > Number(on.json!.time_ms));

      const from = watcher.mark();
      await watcher.publish('picam/cam-late/trigger', '');
      await watcher.waitFor('cam-late complete', eventMessage('cam-late', 'complete'), from);
      assert.ok(!JSON.stringify(service.logs).includes('s3cret-pw'), 'the password is never logged');
    } finally {
      await service.stop();
      await watcher?.close();
      await broker?.stop();
    }
  });
});
