import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { waitForManifest, readManifest } from '../helpers/files.js';
import { startService, type Service } from '../helpers/service.js';
import { LineClient, netcat } from '../helpers/sockets.js';

const OK_SNAP = /^OK (\d{8}T\d{9}Z-[0-9a-f]{6}) (\/\S+)$/;

/** A connection past max_connections: the server may not have seen the previous test's clients go yet. */
async function connectWhenFree(port: number): Promise<LineClient> {
  for (let attempt = 0; ; attempt++) {
    const client = await LineClient.connect(port);
    const reply = await client.command('STATUS');
    if (reply.startsWith('OK ')) return client;
    client.destroy();
    if (attempt === 100 || !reply.startsWith('ERR BUSY')) throw new Error(`no free connection: ${reply}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('line protocol against the real service', () => {
  let service: Service;

  before(async () => {
    service = await startService({ network: { max_connections: 3, idle_timeout_s: 1, max_line_bytes: 128, max_triggers_per_s: 5 } }, { clock: 'frames', frames: 30 });
  });

  after(async () => {
    assert.equal(await service.stop(), 0);
  });

  it('echo SNAP | nc answers one OK line with the event id and folder, and nc returns', async () => {
    const result = await netcat(service.linePort, 'SNAP\n');
    assert.equal(result.code, 0);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1, result.stdout);
    const [, id, dir] = OK_SNAP.exec(lines[0]!) ?? assert.fail(`not an OK reply: ${lines[0]}`);
    assert.ok(dir!.endsWith(id!));
    const manifest = await waitForManifest(dir!);
    assert.equal(manifest.state, 'complete');
    assert.equal(manifest.trigger.source, 'line');
    assert.ok(manifest.frames.length > 0);
  });

  it('accepts the manual spelling in any case, and a last line without newline', async () => {
    const save = await netcat(service.linePort, 'save\n');
    assert.match(save.stdout.trim(), OK_SNAP);
    const halfClosed = await netcat(service.linePort, 'Snap', ['-N']);
    assert.match(halfClosed.stdout.trim(), OK_SNAP);
    const keptOpen = await netcat(service.linePort, 'sNaP');
    assert.match(keptOpen.stdout.trim(), OK_SNAP);
  });

  it('answers several commands on one connection, and survives unknown ones', async () => {
    const client = await LineClient.connect(service.linePort);
    try {
      assert.match(await client.command('STATUS'), /^OK source=synthetic serving=1 fps=[\d.]+ frames=\d+ ring=\d+\/120 night=0/);
      assert.equal(await client.command('FROB now'), 'ERR UNKNOWN_COMMAND unknown command "FROB"; try HELP');
      assert.match(await client.command('night'), /^OK night=0 enabled=1 score=[\d.]+ .*dark_threshold=40 bright_threshold=60/);
      assert.match(await client.command('HELP'), /^OK commands: SNAP\|SAVE/);
      client.send(Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]).toString('latin1'));
      assert.match(await client.readLine(), /^ERR UNKNOWN_COMMAND /);
      assert.match(await client.command('STATUS'), /^OK /, 'still usable after junk');
      assert.equal(await client.command('QUIT'), 'OK bye');
      await client.closed;
    } finally {
      client.destroy();
    }
  });

  it('takes key=value overrides and waits when asked', async () => {
    const client = await LineClient.connect(service.linePort);
    try {
      const reply = await client.command('SNAP wait before_s=0.2 after_s=0.2 reason="front door" formats=jpg,npy');
      const match = /^OK (\S+) (\S+) complete frames=(\d+)$/.exec(reply) ?? assert.fail(reply);
      const manifest = await readManifest(match[2]!);
      assert.equal(manifest.trigger.reason, 'front door');
      assert.deepEqual(manifest.formats, ['jpg', 'npy']);
      assert.equal(manifest.frames.length, Number(match[3]));
      assert.equal(manifest.frames.length, 12, '0.4 s at 30 fps on the frame clock');
    } finally {
      client.destroy();
    }
  });

  it('answers bad arguments with ERR BAD_ARGUMENT naming the field', async () => {
    const client = await LineClient.connect(service.linePort);
    try {
      assert.equal(await client.command('SNAP before_s=-2'), 'ERR BAD_ARGUMENT before_s: expected number >= 0, received -2');
      assert.match(await client.command('SNAP before_s=abc'), /^ERR BAD_ARGUMENT before_s: expected number, received NaN$/);
      assert.match(await client.command('SNAP formats=gif'), /^ERR BAD_ARGUMENT formats\.0: expected one of/);
      assert.match(await client.command('SNAP colour=red'), /^ERR BAD_ARGUMENT colour: unknown field; expected one of wait, before=/);
      assert.match(await client.command('SNAP reason="open'), /^ERR BAD_ARGUMENT unbalanced quote/);
      assert.match(await client.command('STATUS'), /^OK /);
    } finally {
      client.destroy();
    }
  });

  it('refuses an over-long line, discards the rest of it, and stays usable', async () => {
    const client = await LineClient.connect(service.linePort);
    try {
      client.send('SNAP ' + 'x'.repeat(200));
      client.send('y'.repeat(300) + '\nSTATUS\n');
      assert.equal(await client.readLine(), 'ERR BAD_ARGUMENT line longer than 128 bytes, discarded');
      assert.match(await client.readLine(), /^OK source=synthetic/, 'the tail of the long line was not run as a command');
    } finally {
      client.destroy();
    }
  });

  it('takes the short keys, label and stack, and limits triggers per connection', async () => {
    const client = await LineClient.connect(service.linePort);
    try {
      const reply = await client.command('save wait before=0.1 after=0.1 label=person stack=off formats=npy');
      const dir = reply.split(' ')[2]!;
      const manifest = await readManifest(dir);
      assert.equal(manifest.trigger.label, 'person');
      assert.deepEqual(manifest.formats, ['npy']);
      assert.match(await client.command('SNAP stack=maybe'), /^ERR BAD_ARGUMENT stack: expected on or off/);
      // max_triggers_per_s is 5 here: a burst of 5 passes, then ERR BUSY.
      const replies = [];
      for (let i = 0; i < 8; i++) replies.push(await client.command('SNAP before=0 after=0'));
      assert.ok(replies.some((r) => r.startsWith('ERR BUSY too many triggers')), replies.join('\n'));
      assert.match(await client.command('STATUS'), /^OK /, 'other commands still answered');
    } finally {
      client.destroy();
    }
  });

  it('survives 10,000 random and oversized lines and still answers STATUS', async () => {
    const client = await LineClient.connect(service.linePort);
    try {
      let seed = 42;
      const random = (): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed / 0x7fffffff;
      };
      const chunks: string[] = [];
      for (let i = 0; i < 10_000; i++) {
        const length = random() < 0.05 ? 200 + Math.floor(random() * 2000) : Math.floor(random() * 60);
        let line = '';
        for (let j = 0; j < length; j++) line += String.fromCharCode(32 + Math.floor(random() * 95));
        // Never a trigger: these are junk, not 10,000 events.
        chunks.push(/^\s*(snap|save|quit)/i.test(line) ? `x${line}` : line);
      }
      client.send(chunks.join('\n') + '\nSTATUS\n');
      let last = '';
      for (let i = 0; i < 10_001 && !last.startsWith('OK source='); i++) last = await client.readLine();
      assert.match(last, /^OK source=synthetic serving=1/);
    } finally {
      client.destroy();
    }
    const fresh = await LineClient.connect(service.linePort);
    assert.match(await fresh.command('STATUS'), /^OK /, 'and so does a new connection');
    fresh.destroy();
  });

  it('limits connections, answering the extra ones ERR BUSY', async () => {
    const held = await Promise.all([1, 2, 3].map(() => LineClient.connect(service.linePort)));
    try {
      for (const client of held) assert.match(await client.command('STATUS'), /^OK /);
      const extra = await LineClient.connect(service.linePort);
      assert.equal(await extra.readLine(), 'ERR BUSY too many connections (max 3)');
      await extra.closed;
    } finally {
      held.forEach((client) => client.destroy());
    }
  });

  it('closes a silent connection after idle_timeout_s, with nothing sent', async () => {
    const client = await connectWhenFree(service.linePort); // live before the silence
    try {
      // idle_timeout_s is 1: the server hangs up without a reply; a server that kept it open fails this at 5 s.
      await assert.rejects(client.readLine(5000), /connection closed before a reply/);
    } finally {
      client.destroy();
    }
  });

  it('finishes every event it announced: manifest complete, every listed file written, nothing else', async () => {
    const client = await connectWhenFree(service.linePort);
    const dirs: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const [, , dir] = OK_SNAP.exec(await client.command('SNAP')) ?? assert.fail('not an OK reply');
        dirs.push(dir!);
      }
    } finally {
      client.destroy();
    }
    for (const dir of dirs) {
      const manifest = await waitForManifest(dir);
      assert.equal(manifest.state, 'complete', dir);
      assert.equal(manifest.frames.length, 30, '0.5 s before and after at 30 fps');
      const listed = manifest.frames.flatMap((f) => f.files);
      assert.deepEqual((await readdir(dir)).sort(), [...listed, 'event.json'].sort(), `${dir} holds what its manifest lists`);
    }
  });
});
