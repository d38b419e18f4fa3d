/**
 * A tiny detector: streams small grey frames, watches the mean brightness,
 * and triggers a save when it jumps. Run against `npm start`:
 *   npm run build && node clients/ts/dist/examples/detector.js [host:port] [threshold]
 */
import { PicamClient } from '../src/index.js';

const address = process.argv[2] ?? 'localhost:50051';
const threshold = Number(process.argv[3] ?? 8);
const client = new PicamClient(address);
let previous: number | undefined;
for await (const { frame } of client.frames({ encoding: 'raw', pixelFormat: 'gray8', width: 160, maxFps: 10 })) {
  let sum = 0;
  for (const v of frame.data) sum += v;
  const mean = sum / frame.data.length;
  if (previous !== undefined && Math.abs(mean - previous) > threshold) {
    const event = await client.trigger({ reason: `brightness jumped ${previous.toFixed(1)} -> ${mean.toFixed(1)}`, label: 'brightness' });
    console.log(`triggered ${event.eventId} -> ${event.dir}`);
  }
  previous = mean;
}
