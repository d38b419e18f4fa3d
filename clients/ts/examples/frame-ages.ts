/**
 * Prints one JSON line per streamed JPEG frame: its id, capture time,
 * receive time, age (receive − capture, meaningful when client and camera
 * share a clock, e.g. NTP on a LAN) and how many frames the server dropped
 * before it. Handy to see how fresh frames are over a given link:
 *   node clients/ts/dist/examples/frame-ages.js [host:port] [seconds]
 */
import { PicamClient } from '../src/index.js';

const address = process.argv[2] ?? 'localhost:50051';
const seconds = Number(process.argv[3] ?? 10);
const client = new PicamClient(address);
const signal = AbortSignal.timeout(seconds * 1000);
try {
  for await (const { frame, captureTime, dropped } of client.frames({ encoding: 'jpeg', signal })) {
    const receiveMs = Date.now();
    process.stdout.write(`${JSON.stringify({ id: Number(frame.frameId), capture_ms: captureTime.getTime(), receive_ms: receiveMs, age_ms: receiveMs - captureTime.getTime(), dropped, bytes: frame.data.byteLength })}\n`);
  }
} catch (error) {
  // The timeout cancels the call; anything else is a real failure.
  if (!signal.aborted) throw error;
} finally {
  client.close();
}
