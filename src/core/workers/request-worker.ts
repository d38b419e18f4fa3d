import { Worker } from 'node:worker_threads';

/** What every request worker answers: the request's id, and an output buffer or an error. */
export interface WorkerReply {
  id: number;
  out?: ArrayBuffer;
  error?: string;
}

/**
 * One worker thread answering requests by id, started on first use. It is
 * referenced only while a request is pending: an idle worker must not keep
 * the process alive, and a pending reply must (a test or a short script
 * awaits it with nothing else running).
 */
export class RequestWorker<Request extends object> {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (out: ArrayBuffer | undefined) => void; reject: (error: Error) => void }>();

  constructor(
    private readonly script: URL,
    /** Names the worker in its errors, e.g. "pixel worker". */
    private readonly name: string,
  ) {}

  send(request: Request, transfer: ArrayBuffer[] = []): Promise<ArrayBuffer | undefined> {
    const worker = this.ensure();
    const id = this.nextId++;
    if (this.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script);
    worker.on('message', (reply: WorkerReply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.error !== undefined) waiter?.reject(new Error(`${this.name}: ${reply.error}`));
      else waiter?.resolve(reply.out);
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', () => {
      this.worker = undefined;
      this.failAll(new Error(`${this.name} exited`));
    });
    // After the listeners: adding a 'message' listener refs the worker's port again (Node 20).
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

/**
 * Shared memory goes to a worker as is; anything else as a private copy
 * (a ring slot may be overwritten meanwhile, and a transfer needs its own buffer).
 */
export function shareOrCopy(data: Uint8Array): { buffer: SharedArrayBuffer | ArrayBuffer; offset: number; transfer: ArrayBuffer[] } {
  if (data.buffer instanceof SharedArrayBuffer) return { buffer: data.buffer, offset: data.byteOffset, transfer: [] };
  const copy = new Uint8Array(data.length);
  copy.set(data);
  return { buffer: copy.buffer, offset: 0, transfer: [copy.buffer] };
}
