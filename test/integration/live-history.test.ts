import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { launchChromium } from '../helpers/browser.js';
import { waitForManifest } from '../helpers/files.js';
import { ROOT, startService, type Service } from '../helpers/service.js';

const ARTIFACTS = path.join(ROOT, 'test-artifacts');

interface History {
  seconds: number;
  interval_ms: number;
  thresholds: { dark: number; bright: number };
  samples: Record<string, Array<number | boolean>>;
  transitions: Array<{ time_ms: number; night: boolean; reason: string }>;
  events: Array<{ time_ms: number; event_id: string; state: string; source: string }>;
}

interface ViewerState {
  eventId: string;
  index: number;
  count: number;
  frameId: number;
  loaded: boolean;
  error: string;
}

const viewerState = (page: Page): Promise<ViewerState> => page.evaluate<ViewerState>('({ ...window.picamViewer })');

function eventDir(service: Service, eventId: string): string {
  return path.join(service.eventsDir, `${eventId.slice(0, 4)}-${eventId.slice(4, 6)}-${eventId.slice(6, 8)}`, eventId);
}

async function history(service: Service, query = ''): Promise<History> {
  const response = await fetch(`${service.httpUrl}/api/history${query}`);
  assert.equal(response.status, 200);
  return (await response.json()) as History;
}

/** Polls the history until `done` holds; the deadline is only a hang guard. */
async function historyUntil(service: Service, what: string, done: (h: History) => boolean): Promise<History> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const h = await history(service);
    if (done(h)) return h;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify({ transitions: h.transitions, samples: h.samples.time_ms?.length })}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function trigger(service: Service, body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${service.httpUrl}/api/trigger`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 202);
  const { event_id } = (await response.json()) as { event_id: string };
  await waitForManifest(eventDir(service, event_id));
  return event_id;
}

async function waitForFrame(page: Page, eventId: string, index: number): Promise<ViewerState> {
  await page.waitForFunction(`window.picamViewer.eventId === ${JSON.stringify(eventId)} && window.picamViewer.index === ${index} && window.picamViewer.loaded`, undefined, { timeout: 15000 });
  // The <img> really shows a picture (a broken image has naturalWidth 0).
  assert.ok((await page.evaluate<number>(`document.getElementById('viewer-frame').naturalWidth`)) > 0);
  return viewerState(page);
}

describe('history timeline and event viewer in a real browser', () => {
  let service: Service;
  let browser: Browser;
  let jpgEvent: string;
  let npyEvent: string;

  before(async () => {
    // A 4 s synthetic day/night cycle (120 frames at 30 fps): transitions within seconds.
    service = await startService(
      {
        camera: { synthetic_cycle_frames: 120 },
        night: { min_dark_frames: 5, dark_threshold: 40, bright_threshold: 60, exposure_us: 20000, gain: 4 },
        export: { save_before_s: 0.3, save_after_s: 0.3, formats: ['jpg'] },
      },
      { frames: 5 },
    );
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    assert.equal(await service.stop(), 0);
  });

  it('GET /api/history refuses a bad seconds with 400 naming the parameter', async () => {
    for (const bad of ['abc', '0', '-5', '1.5', '3601', '']) {
      const response = await fetch(`${service.httpUrl}/api/history?seconds=${bad}`);
      assert.equal(response.status, 400, `seconds=${bad}`);
      const body = (await response.json()) as { code: string; field: string; error: string };
      assert.equal(body.code, 'INVALID_ARGUMENT');
      assert.equal(body.field, 'seconds');
      assert.match(body.error, /^seconds: expected integer >= 1 and <= 3600, received /);
    }
  });

  it('records one sample a second, the night transitions of the cycle and events, in columns of equal length', async () => {
    const h = await historyUntil(service, 'a night on and off', (x) => x.transitions.some((t) => t.night) && x.transitions.some((t) => !t.night) && x.samples.time_ms!.length >= 3);
    const lengths = new Set(Object.values(h.samples).map((column) => column.length));
    assert.equal(lengths.size, 1, `columns of one length: ${JSON.stringify(Object.fromEntries(Object.entries(h.samples).map(([k, v]) => [k, v.length])))}`);
    assert.deepEqual(Object.keys(h.samples).sort(), ['dark_score', 'dropped', 'events', 'exposure_us', 'fps', 'gain', 'night', 'normalized_score', 'stream_dropped', 'stream_subscribers', 'time_ms']);
    assert.deepEqual([h.thresholds.dark, h.thresholds.bright], [40, 60]);
    const times = h.samples.time_ms as number[];
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!, 'samples oldest first');
    // One a second (timer jitter aside): n samples span about n-1 seconds.
    const spanS = (times.at(-1)! - times[0]!) / 1000;
    assert.ok(Math.abs(spanS - (times.length - 1)) < 0.5 * times.length, `${times.length} samples over ${spanS} s`);
    assert.ok((h.samples.fps as number[]).at(-1)! > 5, 'capture fps recorded');
    const recent = await history(service, '?seconds=1');
    assert.ok(recent.samples.time_ms!.length <= 2, `?seconds=1 gives the last second only: ${recent.samples.time_ms!.length}`);

    jpgEvent = await trigger(service, { reason: 'timeline test', formats: ['jpg', 'mp4'] });
    npyEvent = await trigger(service, { reason: 'arrays only', formats: ['npy'] });
    const withEvents = await historyUntil(service, 'both events, finished', (x) => [jpgEvent, npyEvent].every((id) => x.events.some((e) => e.event_id === id && e.state === 'complete')));
    const marked = withEvents.events.find((e) => e.event_id === jpgEvent)!;
    assert.equal(marked.source, 'http');
    await historyUntil(service, 'the events counted in a sample', (x) => (x.samples.events as number[]).reduce((a, b) => a + b, 0) >= 2);
  });

  it('draws the timeline with thresholds, night spans, transitions and event marks; an event mark opens the viewer, which steps through frames', async (t) => {
    assert.ok(jpgEvent && npyEvent, 'the previous test saved two events');
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(service.httpUrl);
    await page.waitForFunction('window.picamTimeline.draws > 0 && window.picamTimeline.transitions >= 2 && window.picamTimeline.events >= 2', undefined, { timeout: 20000 });

    assert.equal(await page.getAttribute('#timeline line.threshold.dark', 'data-value'), '40');
    assert.equal(await page.getAttribute('#timeline line.threshold.bright', 'data-value'), '60');
    assert.ok((await page.locator('#timeline line.transition[data-night="true"]').count()) >= 1, 'a night-on transition is marked');
    assert.ok((await page.locator('#timeline line.transition[data-night="false"]').count()) >= 1, 'a night-off transition is marked');
    assert.ok((await page.locator('#timeline rect.night-span').count()) >= 1, 'night is shaded');
    const points = ((await page.getAttribute('#timeline polyline.score.raw', 'points')) ?? '').trim().split(' ');
    assert.ok(points.length >= 3, `dark score line has ${points.length} points`);
    assert.ok(((await page.getAttribute('#timeline polyline.fps', 'points')) ?? '').trim().split(' ').length >= 3, 'fps line drawn');
    // The threshold lines sit where the score axis puts 40 and 60: bright above dark.
    const darkY = Number(await page.getAttribute('#timeline line.threshold.dark', 'y1'));
    const brightY = Number(await page.getAttribute('#timeline line.threshold.bright', 'y1'));
    assert.ok(brightY < darkY, `bright line (y=${brightY}) above dark line (y=${darkY})`);

    await mkdir(ARTIFACTS, { recursive: true });
    const timelineShot = path.join(ARTIFACTS, 'live-history.png');
    await page.screenshot({ path: timelineShot, fullPage: true });
    t.diagnostic(`screenshot: ${timelineShot}`);

    await page.locator(`#timeline .event-mark[data-event-id="${jpgEvent}"]`).click();
    await page.waitForFunction('document.getElementById("viewer").open');
    // The viewer opens on the frame nearest the trigger, once the manifest has been read.
    await page.waitForFunction(`window.picamViewer.eventId === ${JSON.stringify(jpgEvent)} && window.picamViewer.count > 0 && window.picamViewer.loaded`, undefined, { timeout: 15000 });
    const first = await waitForFrame(page, jpgEvent, (await viewerState(page)).index);
    assert.ok(first.count >= 10, `the flip-book holds the event's frames: ${first.count}`);
    const facts = (await page.textContent('#viewer-facts')) ?? '';
    assert.match(facts, /Trigger\s*http · timeline test/);
    assert.match(facts, /Missing\s*none/);
    assert.match(facts, /Night/);
    assert.match(facts, /Window\s*0\.3 s before, 0\.3 s after/);
    assert.equal(await page.getAttribute('#viewer-links a[href$=".zip"]', 'href'), `/events/${jpgEvent}.zip`);
    assert.ok(((await page.getAttribute('#viewer-frame', 'src')) ?? '').endsWith('.jpg'), 'jpg frames are shown as saved');
    // The event's clip plays in the page: Chromium reads its metadata (duration) from picam's mp4.
    assert.equal(await page.getAttribute('#viewer-clip', 'src'), `/events/${jpgEvent}/clip.mp4`);
    await page.waitForFunction(`(() => { const v = document.getElementById('viewer-clip'); return !v.hidden && v.readyState >= 1 && v.duration > 0; })()`, undefined, { timeout: 15000 });

    // Step back to the start with the slider, then forward with the button and the arrow key.
    await page.evaluate(`(() => { const s = document.getElementById('viewer-slider'); s.value = '0'; s.dispatchEvent(new Event('input')); })()`);
    const start = await waitForFrame(page, jpgEvent, 0);
    await page.click('#viewer-next');
    const second = await waitForFrame(page, jpgEvent, 1);
    assert.ok(second.frameId > start.frameId, `next frame has a later id: ${start.frameId} -> ${second.frameId}`);
    await page.keyboard.press('ArrowRight');
    const third = await waitForFrame(page, jpgEvent, 2);
    assert.ok(third.frameId > second.frameId);
    const viewerShot = path.join(ARTIFACTS, 'event-viewer.png');
    await page.screenshot({ path: viewerShot });
    t.diagnostic(`screenshot: ${viewerShot}`);
    await page.click('#viewer-close');

    // An npy-only event is shown through JPEG previews of its arrays.
    await page.locator(`#timeline .event-mark[data-event-id="${npyEvent}"]`).click();
    await page.waitForFunction(`window.picamViewer.eventId === ${JSON.stringify(npyEvent)} && window.picamViewer.count > 0 && window.picamViewer.loaded`, undefined, { timeout: 15000 });
    const npy = await viewerState(page);
    assert.match((await page.getAttribute('#viewer-frame', 'src')) ?? '', /\/api\/events\/.+\/preview\/.+\.npy\?width=960$/);
    assert.equal(await page.evaluate(`document.getElementById('viewer-frame').naturalWidth`), 320);
    await page.click('#viewer-next');
    await waitForFrame(page, npyEvent, npy.index + 1);
    await page.click('#viewer-close');

    // An event still being written: the viewer says so, then shows it once event.json is there.
    // Opened from the event list this time.
    const pending = await fetch(`${service.httpUrl}/api/trigger`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'slow one', after_s: 6 }),
    });
    const { event_id: pendingId } = (await pending.json()) as { event_id: string };
    await page.locator(`#events li[data-event-id="${pendingId}"] a.open`).click();
    await page.waitForFunction(`/still being saved/.test(document.getElementById('viewer-message').textContent)`, undefined, { timeout: 15000 });
    assert.equal(await page.textContent('#viewer-state'), 'pending');
    await page.waitForFunction(`window.picamViewer.eventId === ${JSON.stringify(pendingId)} && window.picamViewer.count > 0 && window.picamViewer.loaded`, undefined, { timeout: 20000 });
    assert.equal(await page.textContent('#viewer-state'), 'complete');
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  it('previews an npy frame as a JPEG, and refuses a bad width or a non-frame file by name', async () => {
    const files = (await (await fetch(`${service.httpUrl}/events/${npyEvent}/`)).json()) as { files: string[] };
    const npyFile = files.files.find((name) => name.endsWith('.npy'))!;
    const response = await fetch(`${service.httpUrl}/api/events/${npyEvent}/preview/${npyFile}?width=160`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/jpeg');
    const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 160, 120]);
    const thumb = await fetch(`${service.httpUrl}/api/events/${npyEvent}/thumbnail.jpg`);
    assert.equal(thumb.status, 200, 'an npy-only event has a thumbnail too');
    for (const [query, field] of [[`${npyFile}?width=8`, 'width'], [`${npyFile}?width=abc`, 'width'], ['event.json', 'file']] as const) {
      const bad = await fetch(`${service.httpUrl}/api/events/${npyEvent}/preview/${query}`);
      assert.equal(bad.status, 400, query);
      assert.equal(((await bad.json()) as { field: string }).field, field);
    }
  });
});
