import { spawn } from 'node:child_process';
import net from 'node:net';

/** A line-protocol conversation over a real TCP socket. */
export class LineClient {
  private buffered = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      let i: number;
      while ((i = this.buffered.indexOf('\n')) >= 0) {
        this.lines.push(this.buffered.slice(0, i));
        this.buffered = this.buffered.slice(i + 1);
      }
      this.waiter?.();
    });
    this.closed = new Promise((resolve) => socket.on('close', () => {
      this.waiter?.();
      resolve();
    }));
  }

  static connect(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new LineClient(socket)));
      socket.once('error', reject);
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Sends one command line and returns the reply line. */
  async command(line: string): Promise<string> {
    this.send(line + '\n');
    return this.readLine();
  }

  async readLine(timeoutMs = 15000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.socket.destroyed) throw new Error('connection closed before a reply');
      if (Date.now() > deadline) throw new Error('timed out waiting for a reply');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 100);
      });
    }
    return this.lines.shift()!;
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Runs the real `nc` (OpenBSD netcat) with `input` on stdin: `echo SNAP | nc host port`. */
export function netcat(port: number, input: string, extraArgs: string[] = []): Promise<{ code: number | null; stdout: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn('nc', [...extraArgs, '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    child.on('error', (error) => reject(new Error(`nc is required for these tests (apt-get install netcat-openbsd): ${error.message}`)));
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.on('exit', (code) => resolve({ code, stdout, ms: Date.now() - started }));
    child.stdin.end(input);
  });
}
