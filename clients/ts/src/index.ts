/** picam's TypeScript client: the friendly PicamClient, the generic promise client, and the generated messages. */
export { PicamClient, type TriggerOptions, type FramesOptions, type ReceivedFrame } from './picam-client.js';
export { createClient, MAX_RECEIVE_BYTES, type ClientOptions, type PromiseClient } from './promise-client.js';
export * from '../../../src/gen/picam/v1/camera_pb.js';
