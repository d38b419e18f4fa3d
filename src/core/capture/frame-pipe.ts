import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface FramePipeReader {
  /** Where the next read may write (a ring slot's free part). */
  target(): Buffer;
  /** `n` bytes were just written at the last target. */
  written(n: number): void;
}

export interface FramePipe {
  /** Give this to the child as its stdout (it inherits the socket), then call `handedOver`. */
  childEnd: net.Socket;
  /** Our end: reads land in the reader's buffers; ends when the child's copy closes. */
  socket: net.Socket;
  /** The child holds its copy now: closes ours, so EOF comes when the child exits. */
  handedOver(): void;
}

/**
 * A connected pair of Unix stream sockets whose reads land where the reader
 * says: Node's `onread` option reads into a buffer we choose, so each
 * read(2) writes frame bytes straight into the ring slot (with 'data'
 * events every chunk would be a fresh allocation: at 1080p RGB more CPU in
 * page faults than the frames themselves).
 *
 * A socket pair rather than a FIFO: a pipe moves data in 4 KB pages that the
 * reader frees one by one, and at 1080p that bookkeeping cost the reader
 * ~0.6 ms of kernel time a frame more than a socket does (BENCHMARKS.md,
 * "Pipe ingest"); it is also what Node's own child stdio and the bench's
 * pipe ceiling use. Node cannot make an unnamed pair, so the pair is made by
 * connecting to a listener in a fresh 0700 folder, closed and removed as
 * soon as the one connection is in.
 */
export async function openFramePipe(reader: FramePipeReader): Promise<FramePipe> {
  const dir = await mkdtemp(path.join(tmpdir(), 'picam-pipe-'));
  const server = net.createServer({ pauseOnConnect: true });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path.join(dir, 's'), () => resolve());
    });
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const socket = net.connect({
      path: path.join(dir, 's'),
      onread: {
        buffer: () => reader.target(),
        callback: (n: number) => {
          reader.written(n);
          return true;
        },
      },
    });
    const connected = new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const [childEnd] = await Promise.all([accepted, connected]);
    return { childEnd, socket, handedOver: () => childEnd.destroy() };
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}
