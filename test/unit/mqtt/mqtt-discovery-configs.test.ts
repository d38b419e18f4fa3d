import assert from 'node:assert/strict';
import { it } from 'node:test';
import { discoveryConfigs, discoveryNodeId } from '../../../src/mqtt/discovery-configs.js';
import { topicsFor } from '../../../src/mqtt/topics.js';

/** Home Assistant's discovery topic pattern (homeassistant/components/mqtt/discovery.py). */
const DISCOVERY_TOPIC = /^(?<component>\w+)\/(?:(?<node>[a-zA-Z0-9_-]+)\/)?(?<object>[a-zA-Z0-9_-]+)\/config$/;

it('discovery topics and unique ids stay within what Home Assistant accepts, whatever the camera id', () => {
  for (const cameraId of ['garage', 'Pi.Cam 2', 'kamera-ø', 'a:b']) {
    const configs = discoveryConfigs('homeassistant/', topicsFor('picam', cameraId.replace(/\s/g, '-')), '1.2.3', 1);
    assert.equal(configs.length, 7);
    for (const config of configs) {
      const match = DISCOVERY_TOPIC.exec(config.topic.replace(/^homeassistant\//, ''));
      assert.ok(match, `${config.topic} is a valid discovery topic`);
      assert.equal(match.groups!.component, config.component);
      assert.equal(match.groups!.node, discoveryNodeId(cameraId.replace(/\s/g, '-')));
      assert.match(String(config.payload.unique_id), /^[a-zA-Z0-9_-]+$/);
    }
  }
  assert.equal(discoveryNodeId('Pi.Cam-2'), 'picam_Pi_Cam-2');
  // The same camera id gives the same ids: what keeps Home Assistant's entities across restarts.
  assert.deepEqual(discoveryConfigs('homeassistant', topicsFor('picam', 'x'), '1', 1), discoveryConfigs('homeassistant', topicsFor('picam', 'x'), '1', 1));
});
