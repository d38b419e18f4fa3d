import http from 'node:http';

/** One Prometheus sample: `name{labels} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition (what /metrics serves), failing on any malformed line. */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of one sample; throws if absent so a renamed metric fails loudly. */
export function sample(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (!found) throw new Error(`metric ${name}${JSON.stringify(labels)} not exported`);
  return found.value;
}

export async function metrics(baseUrl: string, headers: Record<string, string> = {}): Promise<Sample[]> {
  const response = await fetch(`${baseUrl}/metrics`, { headers });
  if (!response.ok) throw new Error(`/metrics: HTTP ${response.status}`);
  return parsePrometheus(await response.text());
}

export interface MjpegPart {
  headers: Record<string, string>;
  jpeg: Buffer;
}

/**
 * Reads a multipart MJPEG response with node:http so the test controls
 * reading (pause/resume) like a slow browser would.
 */
export class MjpegReader {
  readonly parts: MjpegPart[] = [];
  private buffer = Buffer.alloc(0);
  private request: http.ClientRequest | undefined;
  private response: http.IncomingMessage | undefined;
  private waiters: Array<() => void> = [];
  status = 0;
  contentType = '';
  headers: http.IncomingHttpHeaders = {};

  static open(url: string): Promise<MjpegReader> {
    const reader = new MjpegReader();
    return new Promise((resolve, reject) => {
      reader.request = http.get(url, (response) => {
        reader.response = response;
        reader.status = response.statusCode ?? 0;
        reader.contentType = response.headers['content-type'] ?? '';
        reader.headers = response.headers;
        response.on('data', (chunk: Buffer) => reader.take(chunk));
        resolve(reader);
      });
      reader.request.on('error', reject);
    });
  }

  pause(): void {
    this.response?.pause();
  }

  resume(): void {
    this.response?.resume();
  }

  close(): void {
    this.request?.destroy();
  }

  /** Waits until `count` parts have arrived in total. */
  async waitForParts(count: number, timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.parts.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.parts.length} of ${count} MJPEG parts within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  private take(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) break;
      const headerText = this.buffer.subarray(0, end).toString('latin1');
      const headers: Record<string, string> = {};
      for (const line of headerText.split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length']);
      if (!headerText.startsWith('--') || !Number.isInteger(length)) throw new Error(`bad MJPEG part header: ${headerText}`);
      if (this.buffer.length < end + 4 + length + 2) break;
      this.parts.push({ headers, jpeg: Buffer.from(this.buffer.subarray(end + 4, end + 4 + length)) });
      this.buffer = this.buffer.subarray(end + 4 + length + 2);
    }
    for (const wake of this.waiters.splice(0)) wake();
  }
}
