import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EventState, PicamClient } from '../../clients/ts/src/index.js';
import { grpcError } from '../helpers/grpc-client.js';
import { ROOT, startService, type Service } from '../helpers/service.js';

describe('TypeScript client (PicamClient) against the real service', () => {
  let service: Service;
  let client: PicamClient;

  before(async () => {
    service = await startService({ camera: { source: 'synthetic', width: 320, height: 240, framerate: 30, synthetic_cycle_frames: 90 } });
    client = new PicamClient(service.grpcAddress);
  });

  after(async () => {
    client.close();
    assert.equal(await service.stop(), 0);
  });

  it('triggers, waits, and finds the event through list/get/delete', async () => {
    const event = await client.trigger({ reason: 'ts', label: 'test', beforeS: 0.2, afterS: 0.2, wait: true, formats: ['jpg'] });
    assert.equal(event.state, EventState.COMPLETE);
    await access(event.dir);
    const page = await client.listEvents(10);
    assert.ok(page.events.some((e) => e.eventId === event.eventId));
    const detail = await client.getEvent(event.eventId);
    assert.ok(detail.frames.length > 0);
    assert.ok((await client.deleteEvent(event.eventId)) > 0n);
    assert.equal((await grpcError(client.getEvent(event.eventId))).code, grpc.status.NOT_FOUND);
  });

  it('streams frames as an async iterator and cancels when the loop breaks', async () => {
    let n = 0;
    for await (const { frame, captureTime } of client.frames({ encoding: 'raw', pixelFormat: 'gray8', width: 160 })) {
      assert.equal(frame.data.length, 160 * 120);
      assert.ok(captureTime.getTime() > Date.now() - 60_000);
      if (++n === 3) break;
    }
    for (let i = 0; i < 50 && (await client.status()).streamSubscribers !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await client.status()).streamSubscribers, 0, 'the call was cancelled');
  });

  it('configures by config path, and surfaces INVALID_ARGUMENT with the field', async () => {
    const config = await client.configure({ 'night.dark_threshold': 33 });
    assert.equal(config?.night?.darkThreshold, 33);
    assert.equal((await client.nightState()).darkThreshold, 33);
    const error = await grpcError(client.configure({ 'night.min_dark_frames': 0 }));
    assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
    assert.match(error.details, /^night\.min_dark_frames: /);
  });

  it('watches events', async () => {
    const controller = new AbortController();
    const seen: EventState[] = [];
    const watching = (async () => {
      for await (const message of client.events(controller.signal)) {
        if (message.kind.case === 'eventProgress') {
          seen.push(message.kind.value.state);
          if (message.kind.value.state === EventState.COMPLETE) return;
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    await client.trigger({ beforeS: 0, afterS: 0.1 });
    await watching;
    controller.abort();
    assert.deepEqual(seen, [EventState.PENDING, EventState.COMPLETE]);
  });

  it('runs the example detector, which triggers an event when the brightness jumps', async () => {
    const detector = spawn(process.execPath, [path.join(ROOT, 'dist/clients/ts/examples/detector.js'), service.grpcAddress, '0.3'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        detector.stdout.setEncoding('utf8').on('data', (text: string) => {
          if (text.includes('triggered')) resolve(text.trim());
        });
        detector.on('exit', (code) => reject(new Error(`detector exited ${code}`)));
      });
      assert.match(line, /^triggered \d{8}T\d{9}Z-[0-9a-f]{6} -> \//);
    } finally {
      detector.kill();
    }
  });
});
