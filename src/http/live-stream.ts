import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Picam } from '../core/index.js';
import { TcpDeliveryProbe } from './tcp-delivery-probe.js';

export const MJPEG_BOUNDARY = 'picamframe';

/** What a live viewer may ask for in the query string, named as in StreamFrames. */
export interface LiveOptions {
  maxFps: number;
  width: number;
  quality: number | undefined;
}

/**
 * The live picture as multipart MJPEG, from the same shared per-frame JPEG
 * encodes and the same backpressure as StreamFrames: the viewer holds only a
 * cursor, a part is written only once the socket has taken the previous one,
 * and at most two parts are unacknowledged by the viewer's TCP
 * (tcp-delivery-probe.ts), so a browser on a slow link gets the newest frame
 * and not the seconds of parts a kernel send buffer would hold. Each part
 * carries Content-Length (so a script can split the stream cheaply) and the
 * frame id and dropped count as headers.
 */
export async function serveMjpeg(core: Picam, req: IncomingMessage, res: ServerResponse, options: LiveOptions, viewers: { count: number }): Promise<void> {
  const abort = new AbortController();
  // Validation happens here, before any header is sent: a bad value gets a 400 naming the field.
  const frames = core.frames(
    {
      encoding: 'jpeg',
      max_fps: options.maxFps,
      quality: options.quality ?? 80,
      quality_set: options.quality !== undefined,
      width: options.width,
      height: 0,
      pixel_format: 'rgb24',
      history_s: 0,
    },
    abort.signal,
    { transport: 'http', peer: `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? ''}`, probe: TcpDeliveryProbe.for(req.socket) },
  );
  const stop = (): void => abort.abort();
  req.on('close', stop);
  res.on('close', stop);
  res.writeHead(200, {
    'Content-Type': `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`,
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no',
  });
  viewers.count++;
  try {
    for await (const frame of frames) {
      if (res.destroyed) break;
      const head =
        `--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.data.byteLength}\r\n` +
        `X-Frame-Id: ${frame.meta.id}\r\nX-Timestamp-Ms: ${Math.round(frame.meta.timestampMs)}\r\nX-Dropped: ${frame.dropped}\r\n\r\n`;
      res.write(head);
      res.write(frame.data);
      if (!res.write('\r\n')) {
        try {
          await once(res, 'drain', { signal: abort.signal });
        } catch {
          break;
        }
      }
    }
  } finally {
    viewers.count--;
    req.off('close', stop);
    abort.abort();
    if (!res.writableEnded) res.end();
  }
}
