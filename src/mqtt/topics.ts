import { hostname } from 'node:os';

/** Every topic one camera uses, from `mqtt.topic_prefix` and its camera id. */
export interface Topics {
  cameraId: string;
  /** Triggers for this camera alone. */
  trigger: string;
  /** Triggers for every camera under the prefix. */
  fleetTrigger: string;
  /** accepted / complete / partial / failed / rejected, JSON. */
  events: string;
  /** Night state, JSON, retained. */
  night: string;
  /** `online` / `offline`, retained; `offline` is also the last will. */
  status: string;
  /** With Home Assistant discovery: the latest JPEG, retained. */
  snapshot: string;
  /** With Home Assistant discovery: dark score, frame rate..., JSON, retained. */
  state: string;
  /** With Home Assistant discovery: the last finished event's message, retained. */
  lastEvent: string;
}

/**
 * An empty `camera_id` means the host name, the name a Pi already has on the
 * LAN. Characters MQTT gives a meaning to in topics (`/ # +`) and spaces are
 * replaced, so a host name can never subscribe to someone else's topics.
 */
export function topicsFor(prefix: string, cameraId: string): Topics {
  const id = cameraId !== '' ? cameraId : hostname().replace(/[/#+\s]/g, '-') || 'picam';
  const base = prefix.replace(/\/+$/, '');
  return {
    cameraId: id,
    trigger: `${base}/${id}/trigger`,
    fleetTrigger: `${base}/all/trigger`,
    events: `${base}/${id}/events`,
    night: `${base}/${id}/night`,
    status: `${base}/${id}/status`,
    snapshot: `${base}/${id}/snapshot`,
    state: `${base}/${id}/state`,
    lastEvent: `${base}/${id}/last_event`,
  };
}

/** The broker URL as logs may show it: a password given in the URL is masked. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
