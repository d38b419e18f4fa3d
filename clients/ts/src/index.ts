/** picam's TypeScript client: the friendly PicamClient, the generic promise client, typed errors, and the generated messages. */
export {
  PicamClient,
  type TriggerOptions,
  type FramesOptions,
  type ConfigureOptions,
  type ListEventsOptions,
  type ReceivedFrame,
} from './picam-client.js';
export {
  createClient,
  DEFAULT_DEADLINE_MS,
  MAX_RECEIVE_BYTES,
  type CallOptions,
  type ClientOptions,
  type PromiseClient,
  type ServerStream,
} from './promise-client.js';
export { Code, PicamAbortError, PicamClientError, type FieldViolation } from './client-error.js';
export type { EventWatch } from './event-watch.js';
export * from './gen/picam/v1/camera_pb.js';
