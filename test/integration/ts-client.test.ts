import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Code, EventState, PicamAbortError, PicamClient, PicamClientError } from '../../clients/ts/src/index.js';
import { ROOT, startService, type Service } from '../helpers/service.js';

/** The typed error a call fails with; fails the test if the call succeeds or throws anything else. */
async function clientError(promise: Promise<unknown>): Promise<PicamClientError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PicamClientError, `expected a PicamClientError, got ${String(error)}`);
    return error;
  }
  throw new Error('expected the call to fail, it succeeded');
}

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
    const page = await client.listEvents({ pageSize: 10 });
    assert.ok(page.events.some((e) => e.eventId === event.eventId));
    const detail = await client.getEvent(event.eventId);
    assert.ok(detail.frames.length > 0);
    assert.ok((await client.deleteEvent(event.eventId)) > 0n);
    const gone = await clientError(client.getEvent(event.eventId));
    assert.equal(gone.code, Code.NOT_FOUND);
    assert.equal(gone.field, 'event_id');
  });

  it('streams frames as an async iterator and cancels when the loop breaks', async () => {
    let n = 0;
    for await (const { frame, captureTime } of client.frames({ encoding: 'raw', pixelFormat: 'gray8', width: 160 })) {
      assert.equal(frame.data.length, 160 * 120);
      assert.ok(captureTime.getTime() > Date.now() - 60_000);
      if (++n === 3) break;
    }
    await subscribersDropTo0();
  });

  it('an aborted frame stream throws an AbortError and the server drops the subscriber', async () => {
    const controller = new AbortController();
    const reason = new Error('enough frames');
    let n = 0;
    const error = await clientError(
      (async () => {
        for await (const { frame } of client.frames({ encoding: 'metadata', signal: controller.signal })) {
          assert.ok(frame.frameId > 0n);
          if (++n === 2) controller.abort(reason);
        }
      })(),
    );
    assert.ok(error instanceof PicamAbortError);
    assert.equal(error.name, 'AbortError');
    assert.equal(error.code, Code.CANCELLED);
    assert.equal(error.cause, reason);
    assert.equal(n, 2);
    await subscribersDropTo0();
  });

  it('an aborted unary call rejects with an AbortError instead of its answer', async () => {
    // Trigger with wait holds the call until the event is written: abort while the event is pending.
    const watch = client.events();
    await watch.ready;
    const controller = new AbortController();
    const waiting = client.trigger({ beforeS: 0, afterS: 1, wait: true, signal: controller.signal });
    for await (const message of watch) {
      if (message.kind.case === 'eventProgress' && message.kind.value.state === EventState.PENDING) break;
    }
    controller.abort();
    const error = await clientError(waiting);
    assert.ok(error instanceof PicamAbortError, `expected an AbortError, got ${error.message}`);
    assert.equal(error.code, Code.CANCELLED);
    // A signal aborted beforehand fails the call without sending it.
    const early = await clientError(client.status({ signal: AbortSignal.abort() }));
    assert.ok(early instanceof PicamAbortError);
  });

  it('names the offending field from the google.rpc.BadRequest details', async () => {
    const window = await clientError(client.trigger({ afterS: 3600 }));
    assert.equal(window.code, Code.INVALID_ARGUMENT);
    assert.equal(window.field, 'after_s');
    assert.deepEqual(window.fieldViolations, [{ field: 'after_s', description: window.details }]);
    assert.match(window.details, /^after_s: expected before_s \+ after_s <= 60 s/);
    assert.equal(window.message, `INVALID_ARGUMENT: ${window.details}`);

    const config = await client.configure({ 'night.dark_threshold': 33 });
    assert.equal(config?.night?.darkThreshold, 33);
    assert.equal((await client.nightState()).darkThreshold, 33);
    const invalid = await clientError(client.configure({ 'night.min_dark_frames': 0 }));
    assert.equal(invalid.code, Code.INVALID_ARGUMENT);
    assert.equal(invalid.field, 'night.min_dark_frames');
    assert.match(invalid.details, /^night\.min_dark_frames: /);
  });

  it('watches events from the moment `ready` resolves, and stops with an AbortError on abort', async () => {
    const controller = new AbortController();
    const watch = client.events({ signal: controller.signal });
    await watch.ready;
    const { eventId } = await client.trigger({ beforeS: 0, afterS: 0.1 });
    const seen: EventState[] = [];
    const error = await clientError(
      (async () => {
        for await (const message of watch) {
          if (message.kind.case !== 'eventProgress' || message.kind.value.eventId !== eventId) continue;
          seen.push(message.kind.value.state);
          if (message.kind.value.state === EventState.COMPLETE) controller.abort();
        }
      })(),
    );
    assert.ok(error instanceof PicamAbortError);
    assert.deepEqual(seen, [EventState.PENDING, EventState.COMPLETE]);
  });

  it('fails with a typed UNAVAILABLE when nothing listens, for calls and for a watch that never became ready', async () => {
    const nowhere = new PicamClient('127.0.0.1:1');
    try {
      const refused = await clientError(nowhere.status());
      assert.equal(refused.code, Code.UNAVAILABLE);
      assert.equal(refused.field, undefined);
      assert.equal((await clientError(nowhere.events().ready)).code, Code.UNAVAILABLE);
    } finally {
      nowhere.close();
    }
  });

  it('runs the example detector from the standalone package build, which triggers an event when the brightness jumps', async () => {
    const detector = spawn(process.execPath, [path.join(ROOT, 'clients/ts/dist/examples/detector.js'), service.grpcAddress, '0.3'], { stdio: ['ignore', 'pipe', 'inherit'] });
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

  /** The service counts a cancelled stream's subscriber out once its handler has seen the cancel. */
  async function subscribersDropTo0(): Promise<void> {
    for (let i = 0; i < 50 && (await client.status()).streamSubscribers !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await client.status()).streamSubscribers, 0, 'the call was cancelled');
  }
});
