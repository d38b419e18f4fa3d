import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { PicamClient } from '../../clients/ts/src/index.js';
import { readManifest } from '../helpers/files.js';
import { renderTemplates } from '../helpers/jinja.js';
import { startBroker, Watcher, type Broker, type Received } from '../helpers/mqtt.js';
import { startService, type Service } from '../helpers/service.js';

const CAMERA = 'cam-ha';
const NODE = `picam_${CAMERA}`;
/** Home Assistant's own discovery topic pattern (homeassistant/components/mqtt/discovery.py). */
const DISCOVERY_TOPIC = /^homeassistant\/(\w+)\/(?:([a-zA-Z0-9_-]+)\/)?([a-zA-Z0-9_-]+)\/config$/;
/** Keys each platform's schema requires (besides what every entity here carries). */
const REQUIRED: Record<string, string[]> = {
  camera: ['topic'],
  button: ['command_topic'],
  binary_sensor: ['state_topic'],
  sensor: ['state_topic'],
  event: ['state_topic', 'event_types'],
};
const EXPECTED = ['binary_sensor/night', 'button/trigger', 'camera/picture', 'event/saved', 'sensor/dark_score', 'sensor/fps', 'sensor/last_event'];

type Config = Record<string, unknown> & { unique_id: string; device: { identifiers: string[] } };

function overrides(url: string, discovery = true): Record<string, Record<string, unknown>> {
  return {
    mqtt: { enabled: true, url, camera_id: CAMERA, reconnect_max_s: 2, discovery, snapshot_interval_s: 1, state_interval_s: 1 },
    export: { save_before_s: 0.2, save_after_s: 0.2 },
    // A 4 s synthetic day/night cycle: the night sensor flips within seconds.
    camera: { synthetic_cycle_frames: 120 },
    night: { min_dark_frames: 5, dark_threshold: 40, bright_threshold: 60, exposure_us: 20000, gain: 4 },
  };
}

/**
 * The retained messages a new subscriber to `filter` (ending in `/#`) gets.
 * The broker sends them before anything published after the subscription,
 * so once a marker published then has arrived, none is still on its way.
 */
async function retained(broker: Broker, filter: string, count: number): Promise<Received[]> {
  const late = await Watcher.connect(broker.url, filter);
  try {
    if (count > 0) await late.waitFor(`${count} retained messages on ${filter}`, () => late.messages.filter((m) => m.retain).length >= count);
    const marker = `${filter.replace(/#$/, '')}picam-test-marker`;
    await late.publish(marker, String(Math.random()));
    await late.waitFor('marker', (m) => m.topic === marker);
    return late.messages.filter((m) => m.retain && m.payload.length > 0);
  } finally {
    await late.close();
  }
}

/** Waits for an empty message on every config topic of this camera under `prefix`: the broker has dropped them. */
async function cleared(watcher: Watcher, prefix: string, from: number): Promise<void> {
  for (const key of EXPECTED) {
    const [component, object] = key.split('/');
    const topic = `${prefix}/${component}/${NODE}/${object}/config`;
    await watcher.waitFor(`${topic} cleared`, (m) => m.topic === topic && m.payload.length === 0, from);
  }
}

function parseConfigs(messages: Received[]): Map<string, Config> {
  const configs = new Map<string, Config>();
  for (const m of messages) {
    const match = DISCOVERY_TOPIC.exec(m.topic);
    assert.ok(match, `${m.topic} matches Home Assistant's discovery topic pattern`);
    assert.equal(match[2], NODE);
    configs.set(`${match[1]}/${match[3]}`, JSON.parse(m.text) as Config);
  }
  return configs;
}

describe('Home Assistant MQTT discovery against a real Mosquitto broker', () => {
  let broker: Broker;
  let watcher: Watcher;
  let service: Service;
  let configs: Map<string, Config>;

  before(async () => {
    broker = await startBroker();
    watcher = await Watcher.connect(broker.url, '#');
    service = await startService(overrides(broker.url));
    await watcher.waitFor('online', (m) => m.topic === `picam/${CAMERA}/status` && m.text === 'online');
  });

  after(async () => {
    await service?.stop();
    await watcher?.close();
    await broker?.stop();
  });

  it('publishes one retained, valid config per entity with the keys its platform requires, one device, availability from the status topic', async () => {
    configs = parseConfigs(await retained(broker, 'homeassistant/#', EXPECTED.length));
    assert.deepEqual([...configs.keys()].sort(), EXPECTED);
    const uniqueIds = new Set<string>();
    for (const [key, config] of configs) {
      const component = key.split('/')[0]!;
      for (const required of REQUIRED[component]!) assert.ok(config[required] !== undefined && config[required] !== '', `${key} has ${required}`);
      assert.equal(typeof config.name, 'string');
      assert.match(config.unique_id, /^picam_cam-ha_[a-z_]+$/);
      uniqueIds.add(config.unique_id);
      assert.deepEqual(config.device.identifiers, [NODE], `${key}: one device per camera`);
      assert.equal(config.availability_topic, `picam/${CAMERA}/status`);
      assert.deepEqual([config.payload_available, config.payload_not_available], ['online', 'offline']);
      assert.equal((config.origin as { name: string }).name, 'picam');
    }
    assert.equal(uniqueIds.size, EXPECTED.length, 'unique ids are unique');
    assert.deepEqual(configs.get('event/saved')!.event_types, ['complete', 'partial', 'failed']);

    // The camera picture: a retained JPEG on the camera entity's topic.
    const pictureTopic = String(configs.get('camera/picture')!.topic);
    const [picture] = await retained(broker, `${pictureTopic}/#`, 1);
    const meta = await sharp(picture!.payload).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 320, 240]);

    // The sensors' templates, rendered by Jinja2 as Home Assistant does, give numbers from the retained state.
    const stateTopic = String(configs.get('sensor/dark_score')!.state_topic);
    assert.equal((await retained(broker, `${stateTopic}/#`, 1)).length, 1, 'the state is retained');
    // The first state may predate the first frame (0 fps); a later one has frames flowing.
    const state = await watcher.waitFor('a state with frames flowing', (m) => m.topic === stateTopic && Number(m.json?.fps) > 0);
    const [score, fps] = await renderTemplates([
      { template: String(configs.get('sensor/dark_score')!.value_template), payload: state.text },
      { template: String(configs.get('sensor/fps')!.value_template), payload: state.text },
    ]);
    assert.ok(Number(score) >= 0 && Number(score) <= 255, `dark score ${score}`);
    assert.ok(Number(fps) > 0, `fps ${fps}`);
    const [status] = await retained(broker, `${String(configs.get('camera/picture')!.availability_topic)}/#`, 1);
    assert.equal(status!.text, 'online');
  });

  it('pressing the button (publishing its payload to its command topic) saves an event, shown by the last event sensor and the event entity', async () => {
    const button = configs.get('button/trigger')!;
    const from = watcher.mark();
    await watcher.publish(String(button.command_topic), String(button.payload_press));
    const accepted = await watcher.waitFor('accepted', (m) => m.topic === `picam/${CAMERA}/events` && m.json?.type === 'accepted', from);
    assert.equal(accepted.json!.source, 'mqtt');
    assert.equal(accepted.json!.reason, 'home assistant');
    const complete = await watcher.waitFor('complete', (m) => m.topic === `picam/${CAMERA}/events` && m.json?.type === 'complete' && m.json.event_id === accepted.json!.event_id, from);
    const manifest = await readManifest(String(complete.json!.dir));
    assert.equal(manifest.state, 'complete');
    assert.equal(manifest.trigger.reason, 'home assistant');

    const lastEvent = configs.get('sensor/last_event')!;
    const last = await watcher.waitFor('last event', (m) => m.topic === lastEvent.state_topic && m.json?.event_id === accepted.json!.event_id, from);
    const event = configs.get('event/saved')!;
    assert.equal(event.state_topic, `picam/${CAMERA}/events`);
    const [lastId, fired, ignored] = await renderTemplates([
      { template: String(lastEvent.value_template), payload: last.text },
      { template: String(event.value_template), payload: complete.text },
      { template: String(event.value_template), payload: accepted.text },
    ]);
    assert.equal(lastId, accepted.json!.event_id);
    const firedJson = JSON.parse(fired!) as { event_type: string; event_id: string };
    assert.equal(firedJson.event_type, 'complete');
    assert.ok((event.event_types as string[]).includes(firedJson.event_type));
    assert.equal(firedJson.event_id, accepted.json!.event_id);
    assert.equal(ignored, '', 'an accepted message renders empty, which Home Assistant ignores');
  });

  it('the night binary sensor flips with the synthetic day/night cycle', async () => {
    const night = configs.get('binary_sensor/night')!;
    const from = watcher.mark();
    const states: string[] = [];
    const deadline = Date.now() + 30_000;
    let seen = from;
    // Render each new night message with the sensor's template until it has said ON and then OFF.
    while (!(states.includes('ON') && states.lastIndexOf('OFF') > states.indexOf('ON'))) {
      assert.ok(Date.now() < deadline, `night sensor states so far: ${states.join(', ')}`);
      await watcher.waitFor('a night message', (m) => m.topic === night.state_topic, seen);
      const fresh = watcher.messages.slice(seen).filter((m) => m.topic === night.state_topic);
      seen = watcher.mark();
      states.push(...(await renderTemplates(fresh.map((m) => ({ template: String(night.value_template), payload: m.text })))));
      for (const s of states) assert.ok(s === 'ON' || s === 'OFF', `binary sensor state ${s}`);
    }
  });

  it('turning discovery off with Configure removes every config (empty retained); turning it on publishes them again', async () => {
    const client = new PicamClient(service.grpcAddress);
    try {
      const from = watcher.mark();
      await client.configure({ 'mqtt.discovery': false });
      await cleared(watcher, 'homeassistant', from);
      for (const data of ['snapshot', 'state', 'last_event']) {
        await watcher.waitFor(`${data} cleared`, (m) => m.topic === `picam/${CAMERA}/${data}` && m.payload.length === 0, from);
      }
      assert.deepEqual(await retained(broker, 'homeassistant/#', 0), [], 'no config is left on the broker');
      assert.deepEqual((await retained(broker, `picam/${CAMERA}/#`, 0)).map((m) => m.topic).sort(), [`picam/${CAMERA}/night`, `picam/${CAMERA}/status`], 'picture, state and last event are removed too');

      await client.configure({ 'mqtt.discovery': true });
      assert.deepEqual([...parseConfigs(await retained(broker, 'homeassistant/#', EXPECTED.length)).keys()].sort(), EXPECTED);

      // A new prefix moves the configs: gone from the old one, there under the new.
      let mark = watcher.mark();
      await client.configure({ 'mqtt.discovery_prefix': 'ha-test' });
      await cleared(watcher, 'homeassistant', mark);
      const moved = await retained(broker, 'ha-test/#', EXPECTED.length);
      assert.equal(moved.length, EXPECTED.length);
      assert.ok(moved.every((m) => m.topic.startsWith('ha-test/') && m.topic.endsWith('/config')));
      assert.deepEqual(await retained(broker, 'homeassistant/#', 0), []);
      mark = watcher.mark();
      await client.configure({ 'mqtt.discovery_prefix': 'homeassistant' });
      await cleared(watcher, 'ha-test', mark);
      assert.equal((await retained(broker, 'homeassistant/#', EXPECTED.length)).length, EXPECTED.length);
      assert.deepEqual(await retained(broker, 'ha-test/#', 0), []);
    } finally {
      client.close();
    }
  });

  it('keeps unique ids across a restart, and a start with discovery false removes the configs left from before', async () => {
    const before = [...configs.values()].map((c) => c.unique_id).sort();
    assert.equal(await service.stop(), 0);
    const restarted = watcher.mark();
    service = await startService(overrides(broker.url));
    await watcher.waitFor('online again', (m) => m.topic === `picam/${CAMERA}/status` && m.text === 'online', restarted);
    const again = parseConfigs(await retained(broker, 'homeassistant/#', EXPECTED.length));
    assert.deepEqual([...again.values()].map((c) => c.unique_id).sort(), before);

    assert.equal(await service.stop(), 0);
    const from = watcher.mark();
    service = await startService(overrides(broker.url, false));
    await cleared(watcher, 'homeassistant', from);
    assert.deepEqual(await retained(broker, 'homeassistant/#', 0), []);
  });
});
