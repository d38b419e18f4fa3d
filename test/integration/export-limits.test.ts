import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { fromBinary } from '@bufbuild/protobuf';
import { BadRequestSchema } from '../../src/gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../src/gen/google/rpc/status_pb.js';
import { EventState } from '../../src/gen/picam/v1/camera_pb.js';
import { cameraClient, grpcError, type CameraClient } from '../helpers/grpc-client.js';
import { startService, type Service } from '../helpers/service.js';
import { LineClient } from '../helpers/sockets.js';

const WINDOW_ERROR = 'after_s: expected before_s + after_s <= 60 s (export.max_window_s), received 0.5 + 3600';

describe('event windows are bounded and a pending event can be cancelled', () => {
  let service: Service;
  let camera: CameraClient;

  before(async () => {
    // A 30-50 s window's worst case (every frame held should the export stall) is reserved at trigger time: the budget must hold it.
    service = await startService({ export: { max_buffer_bytes: 400_000_000 } }, { frames: 5 });
    camera = cameraClient(service.grpcAddress);
  });

  after(async () => {
    camera.close();
    assert.equal(await service.stop(), 0);
  });

  it('after_s=3600 is refused on every adapter, naming the field and export.max_window_s', async () => {
    const viaGrpc = await grpcError(camera.trigger({ afterS: 3600 }));
    assert.equal(viaGrpc.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(viaGrpc.details, WINDOW_ERROR);
    assert.equal(viaGrpc.metadata.get('picam-field')[0], 'after_s');
    // The standard rich-error trailer carries the same field as google.rpc.BadRequest.
    const [details] = viaGrpc.metadata.get('grpc-status-details-bin');
    assert.ok(details instanceof Buffer, 'grpc-status-details-bin trailer present');
    const status = fromBinary(StatusSchema, details);
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    const badRequest = status.details[0] && anyUnpack(status.details[0], BadRequestSchema);
    assert.deepEqual(
      badRequest?.fieldViolations.map((v) => [v.field, v.description]),
      [['after_s', WINDOW_ERROR]],
    );

    const line = await LineClient.connect(service.linePort);
    try {
      assert.equal(await line.command('SNAP after=3600'), `ERR BAD_ARGUMENT ${WINDOW_ERROR}`);
    } finally {
      line.destroy();
    }

    const response = await fetch(`${service.httpUrl}/api/trigger`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"after_s":3600}' });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { code: 'INVALID_ARGUMENT', error: WINDOW_ERROR, field: 'after_s' });
    // Within the limit is fine, and nothing above was started.
    assert.equal((await camera.getStatus({})).eventsPending, 0);
  });

  it('DeleteEvent cancels an event being written: it stops, its folder goes, WatchEvents says cancelled, SNAP wait hears of it', async () => {
    const watch = camera.watchEvents({});
    const states = new Map<string, EventState[]>();
    let wake: (() => void) | undefined;
    void (async () => {
      try {
        for await (const message of watch.stream) {
          if (message.kind.case !== 'eventProgress') continue;
          const { eventId, state } = message.kind.value;
          states.set(eventId, [...(states.get(eventId) ?? []), state]);
          wake?.();
        }
      } catch {
        // cancelled at the end of the test
      }
    })();
    const until = async (done: () => boolean): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`timed out; seen ${JSON.stringify([...states])}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200);
        });
      }
    };
    try {
      // The watch is up once it has seen an event of its own.
      const probe = await camera.trigger({ beforeS: 0, afterS: 0.1 });
      await until(() => states.get(probe.eventId)?.includes(EventState.COMPLETE) === true);

      const line = await LineClient.connect(service.linePort);
      try {
        line.send('SNAP wait before=0.2 after=50\n');
        await until(() => [...states.values()].some((s) => s.length === 1 && s[0] === EventState.PENDING));
        const [eventId] = [...states].find(([, s]) => s.length === 1 && s[0] === EventState.PENDING)!;
        const detail = await camera.getEvent({ eventId });
        assert.equal(detail.event?.state, EventState.PENDING);
        const dir = detail.event.dir;

        const deleted = await camera.deleteEvent({ eventId });
        assert.equal(deleted.cancelled, true);
        await until(() => states.get(eventId)?.includes(EventState.CANCELLED) === true);
        assert.deepEqual(states.get(eventId), [EventState.PENDING, EventState.CANCELLED]);
        await assert.rejects(access(dir), { code: 'ENOENT' });
        assert.equal((await grpcError(camera.getEvent({ eventId }))).code, grpc.status.NOT_FOUND);
        assert.match(await line.readLine(), new RegExp(`^ERR NOT_FOUND ${eventId} cancelled frames=\\d+: cancelled: deleted while it was being written$`));
        assert.equal((await camera.getStatus({})).eventsPending, 0);
        // A finished event is deleted as before.
        const again = await camera.deleteEvent({ eventId: probe.eventId });
        assert.equal(again.cancelled, false);
        assert.ok(again.bytesFreed > 0n);
      } finally {
        line.destroy();
      }
    } finally {
      watch.cancel();
    }
  });

  it('SNAP wait before=0 after=0 is complete with 0 frames, not partial', async () => {
    const line = await LineClient.connect(service.linePort);
    try {
      assert.match(await line.command('SNAP wait before=0 after=0'), /^OK \S+ \S+ complete frames=0$/);
    } finally {
      line.destroy();
    }
  });
});
