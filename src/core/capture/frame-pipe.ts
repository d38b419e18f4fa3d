import { execFile } from 'node:child_process';
import { constants, openSync, closeSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
let counter = 0;

export interface FramePipeReader {
  /** Where the next read may write (a ring slot's free part). */
  target(): Buffer;
  /** `n` bytes were just written at the last target. */
  written(n: number): void;
}

export interface FramePipe {
  /** Give this to the child as its stdout. */
  writeFd: number;
  /** Starts reading; call after the child has its copy of writeFd. */
  start(reader: FramePipeReader): net.Socket;
}

/**
 * A pipe whose reads land where the reader says: Node's `onread` option reads
 * into a buffer we choose, so each read(2) writes frame bytes straight into
 * the ring slot. With the usual 'data' events every 64 KB chunk is a fresh
 * allocation, which at 1080p RGB costs more CPU in page faults than the
 * frames themselves. Node cannot make an anonymous pipe, so this is a FIFO,
 * unlinked as soon as both ends are open.
 */
export async function openFramePipe(): Promise<FramePipe> {
  const fifo = path.join(tmpdir(), `picam-${process.pid}-${counter++}.fifo`);
  await run('mkfifo', ['-m', '600', fifo]);
  let readFd: number;
  let writeFd: number;
  try {
    // Open the read end first without blocking, then the write end finds a reader.
    readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    writeFd = openSync(fifo, constants.O_WRONLY);
  } finally {
    unlinkSync(fifo);
  }
  return {
    writeFd,
    start(reader) {
      closeSync(writeFd); // the child holds the only write end now: EOF when it exits
      // `onread` works for a socket made from an fd, though @types/node only declares it for connect().
      const options: net.SocketConstructorOpts & { onread: OnRead } = {
        fd: readFd,
        readable: true,
        writable: false,
        onread: {
          buffer: () => reader.target(),
          callback: (n: number) => {
            reader.written(n);
            return true;
          },
        },
      };
      return new net.Socket(options);
    },
  };
}

interface OnRead {
  buffer: () => Uint8Array;
  callback: (bytesWritten: number, buffer: Uint8Array) => boolean;
}
