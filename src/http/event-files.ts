import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { invalidField, PicamError, type Picam } from '../core/index.js';
import { isPreviewable, previewJpeg } from './frame-preview.js';

const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.npy': 'application/octet-stream',
  '.mp4': 'video/mp4',
  '.json': 'application/json; charset=utf-8',
};

const THUMBNAIL_WIDTH = 240;
/** Thumbnails are small (~10 KB); this bounds the cache to about a megabyte. */
const THUMBNAIL_CACHE = 100;

/**
 * Read-only access to saved events: single files, a whole event as one zip
 * (stored, not deflated: jpg/png/mp4 are compressed already), and a small
 * preview. Paths come from the core's event store, which only hands out
 * plain file names inside an event folder.
 */
export class EventFiles {
  private readonly thumbnails = new Map<string, Buffer>();

  constructor(private readonly core: Picam) {}

  async sendFile(res: ServerResponse, eventId: string, name: string, head: boolean): Promise<void> {
    const file = await this.core.eventStore.filePath(eventId, name);
    const { size } = await stat(file);
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream',
      'Content-Length': size,
      // A finished event's files never change; a pending one's appear but do not change either.
      'Cache-Control': 'private, max-age=3600, immutable',
    });
    if (head) {
      res.end();
      return;
    }
    await pipeline(createReadStream(file), res);
  }

  async sendZip(res: ServerResponse, eventId: string): Promise<void> {
    const names = await this.core.eventStore.fileNames(eventId);
    const zip = new yazl.ZipFile();
    for (const name of names) zip.addFile(path.join(this.core.eventStore.dirOf(eventId), name), `${eventId}/${name}`, { compress: false });
    zip.end();
    res.writeHead(200, {
      'Content-Type': 'application/zip',
      'Content-Disposition': `attachment; filename="${eventId}.zip"`,
      'Cache-Control': 'no-store',
    });
    await pipeline(zip.outputStream, res);
  }

  /** One saved frame (jpg, png or npy) as a JPEG at most `width` wide: the event viewer's flip-book. */
  async sendPreview(res: ServerResponse, eventId: string, name: string, width: number): Promise<void> {
    if (!isPreviewable(name)) throw invalidField('file', "a frame's .jpg, .png or .npy", name);
    const body = await previewJpeg(await this.core.eventStore.filePath(eventId, name), width);
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': body.byteLength, 'Cache-Control': 'private, max-age=3600, immutable' });
    res.end(body);
  }

  /** A small JPEG of the frame nearest the trigger, from its jpg or png (or its npy when that is all there is). */
  async sendThumbnail(res: ServerResponse, eventId: string): Promise<void> {
    let thumbnail = this.thumbnails.get(eventId);
    if (!thumbnail) {
      const detail = await this.core.eventStore.get(eventId);
      let withImage = detail.frames.filter((frame) => frame.files.some(isImage));
      let pick = isImage;
      if (withImage.length === 0) {
        withImage = detail.frames.filter((frame) => frame.files.some(isNpy));
        pick = isNpy;
      }
      if (withImage.length === 0) throw new PicamError('NOT_FOUND', `event ${eventId} has no jpg, png or npy frame to preview`, { field: 'event_id' });
      const nearest = withImage.reduce((best, frame) =>
        Math.abs(frame.capture_time_ms - detail.summary.triggerMs) < Math.abs(best.capture_time_ms - detail.summary.triggerMs) ? frame : best,
      );
      const file = await this.core.eventStore.filePath(eventId, nearest.files.find(pick)!);
      thumbnail = await previewJpeg(file, THUMBNAIL_WIDTH, 75);
      // Only finished events are cached: a pending one may still gain its nearest frame.
      if (detail.summary.state !== 'pending') {
        if (this.thumbnails.size >= THUMBNAIL_CACHE) this.thumbnails.delete(this.thumbnails.keys().next().value!);
        this.thumbnails.set(eventId, thumbnail);
      }
    }
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': thumbnail.byteLength, 'Cache-Control': 'private, max-age=3600' });
    res.end(thumbnail);
  }

  forget(eventId: string): void {
    this.thumbnails.delete(eventId);
  }
}

function isImage(name: string): boolean {
  return name.endsWith('.jpg') || name.endsWith('.png');
}

function isNpy(name: string): boolean {
  return name.endsWith('.npy');
}
