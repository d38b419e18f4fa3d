import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { metrics, sample } from '../helpers/http.js';
import { startService, type Service } from '../helpers/service.js';
import { LineClient } from '../helpers/sockets.js';

const TOKEN = 'owner-secret';

/** Everything the server sends until it closes the connection (hang guard: `timeoutMs`). */
function converse(port: number, input: string, timeoutMs = 20_000): Promise<{ text: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(input));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    const guard = setTimeout(() => {
      socket.destroy();
      resolve({ text, closedByServer: false });
    }, timeoutMs);
    socket.on('close', () => {
      clearTimeout(guard);
      resolve({ text, closedByServer: true });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
  });
}

async function rssBytes(service: Service): Promise<number> {
  return sample(await metrics(service.httpUrl), 'process_resident_memory_bytes');
}

describe('line port against careless and hostile clients (network.token set)', () => {
  let service: Service;

  before(async () => {
    service = await startService({ network: { token: TOKEN, max_connections: 4, auth_timeout_s: 1, idle_timeout_s: 30, reply_linger_s: 5 } });
  });

  after(async () => {
    assert.equal(await service.stop(), 0);
  });

  it('pipelined guesses: after the third wrong AUTH nothing more from that connection is processed', async () => {
    const guesses = Array.from({ length: 1000 }, (_, i) => `AUTH guess-${i}\n`).join('');
    const { text, closedByServer } = await converse(service.linePort, `${guesses}AUTH ${TOKEN}\nSNAP\n`);
    assert.ok(closedByServer);
    assert.deepEqual(text.trim().split('\n'), [
      'ERR UNAUTHENTICATED wrong token',
      'ERR UNAUTHENTICATED wrong token',
      'ERR UNAUTHENTICATED wrong token',
    ]);
    // Failures are logged with the peer's address, but not one line per guess.
    await service.waitForLog((line) => line.msg.startsWith('line: wrong token') && line.closing === true);
    const logged = service.logs.filter((line) => line.msg.startsWith('line: wrong token'));
    assert.ok(logged.length >= 1 && logged.length <= 3, `${logged.length} log lines for 3 failures`);
    assert.equal(logged[0]!.peer, '127.0.0.1');
  });

  it('repeated failures from one address are slowed down, and the right token still works', async () => {
    // The address already has three failures (the test above): every further one waits longer.
    const started = performance.now();
    const first = await converse(service.linePort, 'AUTH wrong-again\n');
    const firstMs = performance.now() - started;
    assert.match(first.text, /^ERR UNAUTHENTICATED wrong token/);
    const delayed = service.logs.filter((line) => line.msg.startsWith('line: wrong token') && typeof line.held_ms === "number" && Number(line.held_ms) > 0).map((line) => Number(line.held_ms));
    assert.ok(delayed.length > 0 && delayed.at(-1)! > 0, 'the log says how long the address is held back');
    assert.ok(firstMs >= delayed.at(-1)! * 0.9, `a held-back AUTH answered after ${firstMs.toFixed(0)} ms, delay ${delayed.at(-1)} ms`);
    const owner = await LineClient.connect(service.linePort);
    try {
      assert.equal(await owner.command(`AUTH ${TOKEN}`), 'OK authenticated');
      assert.match(await owner.command('STATUS'), /^OK source=/);
    } finally {
      owner.destroy();
    }
  });

  it('connections that never authenticate cannot keep the owner out, and are closed at the auth deadline', async () => {
    // More silent connections than slots, each trickling a byte now and then (not a line).
    const squatters: net.Socket[] = [];
    const closed: Array<Promise<string>> = [];
    for (let i = 0; i < 6; i++) {
      const socket = net.connect(service.linePort, '127.0.0.1');
      socket.setEncoding('utf8');
      let text = '';
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('error', () => undefined);
      closed.push(new Promise((resolve) => socket.on('close', () => resolve(text))));
      squatters.push(socket);
    }
    const trickle = setInterval(() => squatters.forEach((s) => s.writable && s.write('x')), 200);
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const owner = await LineClient.connect(service.linePort);
      try {
        assert.equal(await owner.command(`AUTH ${TOKEN}`), 'OK authenticated');
        assert.match(await owner.command('STATUS'), /^OK source=/);
        // Every squatter is gone: evicted for the owner or cut at the 1 s auth deadline (hang guard 15 s).
        const replies = await Promise.race([
          Promise.all(closed),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('unauthenticated connections outlived the auth deadline')), 15_000)),
        ]);
        assert.ok(replies.every((text) => /ERR (UNAUTHENTICATED|BUSY) /.test(text)), JSON.stringify(replies));
        assert.ok(replies.some((text) => text.includes('ERR UNAUTHENTICATED no AUTH within 1 s')), JSON.stringify(replies));
        // The authenticated owner outlives the deadline.
        assert.match(await owner.command('STATUS'), /^OK source=/);
      } finally {
        owner.destroy();
      }
    } finally {
      clearInterval(trickle);
      squatters.forEach((s) => s.destroy());
    }
  });
});

describe('line port against careless and hostile clients (no token)', () => {
  let service: Service;

  before(async () => {
    service = await startService({ network: { idle_timeout_s: 2, reply_linger_s: 5, max_triggers_per_s: 1000 } });
  });

  after(async () => {
    assert.equal(await service.stop(), 0);
  });

  it('nothing after QUIT runs, even in the same write', async () => {
    const before = sample(await metrics(service.httpUrl), 'picam_events_pending') + (await eventsTotal(service));
    const { text, closedByServer } = await converse(service.linePort, 'QUIT\nSNAP\nSNAP\n');
    assert.ok(closedByServer);
    assert.equal(text, 'OK bye\n');
    assert.equal((await eventsTotal(service)) + sample(await metrics(service.httpUrl), 'picam_events_pending'), before, 'no event was started');
  });

  it('after a half-close the server closes as soon as the pending reply is written', async () => {
    const client = await LineClient.connect(service.linePort);
    client.send('SNAP wait before=0.1 after=0.1\n');
    client.end();
    const reply = await client.readLine();
    assert.match(reply, /^OK \S+ \S+ complete frames=\d+$/);
    // reply_linger_s is 5 s and idle_timeout_s 2 s: a close now is the half-close rule, not a timer.
    const started = performance.now();
    await client.closed;
    assert.ok(performance.now() - started < 1500, 'closed right after the reply');
  });

  it('replies nobody reads: the server stops reading, closes the stuck connection, and memory stays bounded', async (t) => {
    const baseline = await rssBytes(service);
    const socket = net.connect(service.linePort, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause(); // never read a reply
    const help = Buffer.from('HELP\n'.repeat(840_000)); // 4.2 MB of commands
    socket.write(help);
    // A paused client may not notice the close itself: the server's word and its gauge tell.
    const stuck = await service.waitForLog((line) => line.msg === 'line: client does not read its replies; connection closed', 30_000);
    assert.ok(Number(stuck.unsent_bytes) > 0);
    assert.equal(sample(await metrics(service.httpUrl), 'picam_line_connections'), 0);
    const grown = (await rssBytes(service)) - baseline;
    t.diagnostic(`4.2 MB of pipelined HELP, replies never read: service RSS ${(baseline / 1e6).toFixed(1)} MB -> ${((baseline + grown) / 1e6).toFixed(1)} MB`);
    assert.ok(grown < 40e6, `RSS grew by ${(grown / 1e6).toFixed(1)} MB`);
    socket.destroy();
    // The port still answers.
    const client = await LineClient.connect(service.linePort);
    try {
      assert.match(await client.command('STATUS'), /^OK source=/);
    } finally {
      client.destroy();
    }
  });
});

async function eventsTotal(service: Service): Promise<number> {
  const samples = await metrics(service.httpUrl);
  return samples.filter((s) => s.name === 'picam_events_total').reduce((sum, s) => sum + s.value, 0);
}
