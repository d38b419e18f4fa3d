import type { Topics } from './topics.js';

/** One retained Home Assistant discovery message. */
export interface DiscoveryConfig {
  /** `<prefix>/<component>/<node id>/<object id>/config`. */
  topic: string;
  component: 'camera' | 'button' | 'binary_sensor' | 'sensor' | 'event';
  payload: Record<string, unknown>;
}

/** What the button publishes to the camera's trigger topic: a trigger like any other, with a reason. */
export const BUTTON_PAYLOAD = JSON.stringify({ reason: 'home assistant' });
/** Finished event types, as the event entity reports them. */
export const EVENT_TYPES = ['complete', 'partial', 'failed'] as const;

/**
 * Home Assistant allows only [a-zA-Z0-9_-] in the node and object ids of a
 * discovery topic; other characters of a camera id become `_`.
 */
export function discoveryNodeId(cameraId: string): string {
  return `picam_${cameraId.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
}

/**
 * The discovery configs of one camera: one device (identified by the camera
 * id, so unique ids stay the same across restarts) with a camera picture, a
 * Trigger button, a night binary sensor, dark score and frame rate sensors,
 * the last saved event as a sensor and as an event entity. Every entity is
 * available while the camera's retained status topic says `online`.
 * Keys and required fields follow Home Assistant's MQTT platform schemas
 * (camera: topic; button: command_topic; binary_sensor, sensor: state_topic;
 * event: state_topic and event_types).
 */
export function discoveryConfigs(prefix: string, topics: Topics, version: string, qos: 0 | 1): DiscoveryConfig[] {
  const node = discoveryNodeId(topics.cameraId);
  const base = prefix.replace(/\/+$/, '');
  const common = {
    availability_topic: topics.status,
    payload_available: 'online',
    payload_not_available: 'offline',
    qos,
    device: {
      identifiers: [node],
      name: `picam ${topics.cameraId}`,
      manufacturer: 'picam',
      model: 'picam camera service',
      sw_version: version,
    },
    origin: { name: 'picam', sw_version: version },
  };
  const config = (component: DiscoveryConfig['component'], object: string, fields: Record<string, unknown>): DiscoveryConfig => ({
    topic: `${base}/${component}/${node}/${object}/config`,
    component,
    payload: { ...fields, unique_id: `${node}_${object}`, ...common },
  });
  return [
    // The picture: JPEG bytes as they are (no image_encoding), retained so Home Assistant has one at once.
    config('camera', 'picture', { name: 'Picture', topic: topics.snapshot }),
    config('button', 'trigger', { name: 'Trigger', command_topic: topics.trigger, payload_press: BUTTON_PAYLOAD, retain: false, icon: 'mdi:camera-burst' }),
    config('binary_sensor', 'night', {
      name: 'Night',
      state_topic: topics.night,
      value_template: "{{ 'ON' if value_json.night else 'OFF' }}",
      icon: 'mdi:weather-night',
    }),
    config('sensor', 'dark_score', {
      name: 'Dark score',
      state_topic: topics.state,
      value_template: '{{ value_json.dark_score }}',
      state_class: 'measurement',
      suggested_display_precision: 1,
      icon: 'mdi:brightness-6',
    }),
    config('sensor', 'fps', {
      name: 'Capture rate',
      state_topic: topics.state,
      value_template: '{{ value_json.fps }}',
      unit_of_measurement: 'fps',
      state_class: 'measurement',
      suggested_display_precision: 1,
      entity_category: 'diagnostic',
      icon: 'mdi:camera-timer',
    }),
    config('sensor', 'last_event', {
      name: 'Last event',
      state_topic: topics.lastEvent,
      value_template: '{{ value_json.event_id }}',
      json_attributes_topic: topics.lastEvent,
      icon: 'mdi:folder-image',
    }),
    // From the events topic: accepted and rejected messages render empty, which Home Assistant ignores.
    config('event', 'saved', {
      name: 'Event saved',
      state_topic: topics.events,
      event_types: [...EVENT_TYPES],
      value_template:
        `{% if value_json.type in ${JSON.stringify(EVENT_TYPES).replace(/"/g, "'")} %}` +
        "{{ {'event_type': value_json.type, 'event_id': value_json.event_id, 'frames': value_json.frames, 'source': value_json.source, 'reason': value_json.reason} | tojson }}" +
        '{% endif %}',
    }),
  ];
}
