/** The MQTT adapter: fleet triggers in, event and night messages out. */
export { startMqttBridge, type MqttBridge } from './mqtt-bridge.js';
export type { Topics } from './topics.js';
export type { AcceptedMessage, FinishedMessage, NightMessage, RejectedMessage } from './messages.js';
