import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { DeliveryProbe } from '../core/index.js';

/** How often the kernel's count is read while someone waits: a 2 Mbit/s link moves 2.5 kB in that time. */
const POLL_MS = 10;
const TABLES = ['/proc/self/net/tcp', '/proc/self/net/tcp6'];

/**
 * Delivery confirmation for a plain TCP response (the live page's MJPEG),
 * which has no PING: the bytes the peer has acknowledged are those written
 * minus what Node still buffers minus the kernel's tx_queue (sent but not
 * acknowledged, or not sent yet), read from /proc/self/net/tcp for this
 * connection. Node exposes no TCP_INFO or SIOCOUTQ, and this needs no native
 * code. Linux only: elsewhere there is no probe and only the socket's
 * drain applies.
 */
export class TcpDeliveryProbe implements DeliveryProbe {
  private readonly waiting: Array<{ target: number; resolve: () => void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly ports: { local: string; remote: string };

  private constructor(private readonly socket: Socket) {
    this.ports = { local: hexPort(socket.localPort ?? 0), remote: hexPort(socket.remotePort ?? 0) };
    socket.once('close', () => this.release());
  }

  static for(socket: Socket): TcpDeliveryProbe | undefined {
    if (!TABLES.some((table) => existsSync(table)) || socket.localPort === undefined || socket.remotePort === undefined) return undefined;
    return new TcpDeliveryProbe(socket);
  }

  delivered(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiting.push({ target: this.socket.bytesWritten, resolve });
      this.timer ??= setTimeout(() => void this.poll(), 0);
    });
  }

  private async poll(): Promise<void> {
    const unsent = await this.kernelQueue();
    if (unsent === undefined || this.socket.destroyed) return this.release();
    const acked = this.socket.bytesWritten - this.socket.writableLength - unsent;
    while (this.waiting.length > 0 && this.waiting[0]!.target <= acked) this.waiting.shift()!.resolve();
    this.timer = this.waiting.length > 0 ? setTimeout(() => void this.poll(), POLL_MS) : undefined;
  }

  /** This connection's tx_queue, or undefined if it is not in the tables (closed, or /proc unreadable). */
  private async kernelQueue(): Promise<number | undefined> {
    const { local, remote } = this.ports;
    for (const table of TABLES) {
      let text: string;
      try {
        text = await readFile(table, 'latin1');
      } catch {
        continue;
      }
      for (const line of text.split('\n')) {
        // sl local_address rem_address st tx_queue:rx_queue ...
        const fields = line.trim().split(/\s+/);
        if (fields.length < 5 || !fields[1]!.endsWith(local) || !fields[2]!.endsWith(remote)) continue;
        return Number.parseInt(fields[4]!.split(':')[0]!, 16);
      }
    }
    return undefined;
  }

  /** Nothing more will be learnt: every wait ends (the stream's own close follows). */
  private release(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiting.splice(0)) w.resolve();
  }
}

function hexPort(port: number): string {
  return `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}
