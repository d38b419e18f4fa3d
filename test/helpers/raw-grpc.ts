import http2 from 'node:http2';

/**
 * A server-streaming gRPC call over bare HTTP/2 with a small flow-control
 * window and no read-ahead: nothing is taken off the connection until the
 * test asks for the next message. So what the test receives shows what the
 * server queued, without a client library's own buffering in between.
 */
export class RawServerStream {
  private readonly session: http2.ClientHttp2Session;
  private readonly request: http2.ClientHttp2Stream;
  private pending = Buffer.alloc(0);
  private ended = false;

  constructor(address: string, path: string, requestBytes: Uint8Array, windowBytes = 65_535) {
    this.session = http2.connect(`http://${address}`, { settings: { initialWindowSize: windowBytes } });
    this.session.on('error', () => undefined);
    this.request = this.session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
    this.request.on('error', () => undefined);
    this.request.on('end', () => (this.ended = true));
    const head = Buffer.alloc(5);
    head.writeUInt32BE(requestBytes.byteLength, 1);
    this.request.end(Buffer.concat([head, requestBytes]));
    // Paused mode: data is consumed only through read(), so the window fills and the server must wait.
    this.request.pause();
  }

  /** The next message's protobuf bytes. */
  async next(timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.pending.length >= 5) {
        const length = this.pending.readUInt32BE(1);
        if (this.pending.length >= 5 + length) {
          const message = this.pending.subarray(5, 5 + length);
          this.pending = this.pending.subarray(5 + length);
          return Buffer.from(message);
        }
      }
      const chunk = this.request.read() as Buffer | null;
      if (chunk) {
        this.pending = Buffer.concat([this.pending, chunk]);
        continue;
      }
      if (this.ended) throw new Error('stream ended');
      if (Date.now() > deadline) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.request.once('readable', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.request.close(http2.constants.NGHTTP2_CANCEL);
    this.session.close();
  }
}
