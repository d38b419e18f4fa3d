import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { waitForManifest } from '../helpers/files.js';
import { ROOT, startService, type Service } from '../helpers/service.js';

/** Where the screenshot of each run goes (ignored by git). */
const ARTIFACTS = path.join(ROOT, 'test-artifacts');

/** Debian's chromium; CI installs it. Missing is a failure, not a skip. */
function chromiumPath(): string {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error('no chromium found: the live page test needs a real browser (apt-get install chromium)');
}

interface LiveStats {
  shown: number;
  fps: number;
  lastFrameId: number;
}

// Browser-side code is passed as source text: this project compiles against Node's types, not the DOM's.
const liveStats = (page: Page): Promise<LiveStats> => page.evaluate<LiveStats>('({ ...window.picamLive })');

async function waitForFrames(page: Page, count: number): Promise<void> {
  await page.waitForFunction(`window.picamLive.shown >= ${count}`, undefined, { timeout: 20000 });
}

/** Waits until the trigger button's result line says "saving <id>"; returns the id. */
async function triggeredEventId(page: Page): Promise<string> {
  await page.waitForFunction(`/^saving \\S+$/.test(document.getElementById('trigger-result').textContent)`);
  return ((await page.textContent('#trigger-result')) ?? '').split(' ')[1]!;
}

const CANVAS_STATS = `(() => {
  const canvas = document.getElementById('picture');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0, sumSq = 0;
  for (let i = 0; i < data.length; i += 4) { sum += data[i]; sumSq += data[i] * data[i]; }
  const n = data.length / 4;
  return { width: canvas.width, height: canvas.height, mean: sum / n, std: Math.sqrt(sumSq / n - (sum / n) ** 2) };
})()`;

describe('live page in a real browser', () => {
  let service: Service;
  let browser: Browser;

  before(async () => {
    service = await startService({ camera: { width: 640, height: 360 }, export: { save_before_s: 0.3, save_after_s: 0.3 } }, { frames: 5 });
    // As root (CI containers) Chromium needs --no-sandbox.
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
  });

  after(async () => {
    await browser?.close();
    assert.equal(await service.stop(), 0);
  });

  it('shows the live picture updating, day/night state and dark score; the Trigger button saves an event shown in the list', async (t) => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(service.httpUrl);
    await waitForFrames(page, 3);
    const first = await liveStats(page);
    const t0 = Date.now();
    await page.waitForTimeout(3000);
    const later = await liveStats(page);
    const fps = ((later.shown - first.shown) * 1000) / (Date.now() - t0);
    t.diagnostic(`live page frame rate in Chromium: ${fps.toFixed(1)} fps (stream asks for max 15; camera 30)`);
    assert.ok(later.lastFrameId > first.lastFrameId, 'the picture updates: newer frames are drawn');
    assert.ok(fps > 2, `frames drawn per second: ${fps}`);

    // The canvas holds the camera's picture, not a blank: the synthetic scene is mid-grey with detail.
    const pixels = await page.evaluate<{ width: number; mean: number; std: number }>(CANVAS_STATS);
    assert.ok(pixels.width > 0 && pixels.mean > 20 && pixels.std > 5, `canvas content: ${JSON.stringify(pixels)}`);

    await page.waitForFunction(`document.getElementById('mode').textContent === 'day'`);
    assert.match((await page.textContent('#score')) ?? '', /^dark score \d+\.\d \(\d+\.\d\)$/);

    await page.click('#trigger');
    const eventId = await triggeredEventId(page);
    const manifest = await waitForManifest(path.join(service.eventsDir, `${eventId.slice(0, 4)}-${eventId.slice(4, 6)}-${eventId.slice(6, 8)}`, eventId));
    assert.equal(manifest.state, 'complete');
    assert.equal(manifest.trigger.source, 'http');
    assert.equal(manifest.trigger.reason, 'live page');

    // The list picks the event up with its preview once it is complete.
    const thumbnail = `#events li[data-event-id="${eventId}"] img`;
    await page.waitForFunction(`(() => { const img = document.querySelector('${thumbnail}'); return img !== null && img.complete && img.naturalWidth > 0; })()`, undefined, {
      timeout: 15000,
    });
    const zipLink = await page.getAttribute(`#events li[data-event-id="${eventId}"] a[href$=".zip"]`, 'href');
    assert.equal(zipLink, `/events/${eventId}.zip`);

    await mkdir(ARTIFACTS, { recursive: true });
    const screenshot = path.join(ARTIFACTS, 'live-page.png');
    await page.screenshot({ path: screenshot });
    const shot = await sharp(screenshot).metadata();
    assert.deepEqual([shot.format, shot.width, shot.height], ['png', 1100, 700]);
    t.diagnostic(`screenshot: ${screenshot}`);
    assert.deepEqual(pageErrors, []);
    await page.close();
  });
});

describe('live page behind network.token', () => {
  it('opening it once with ?token= lets the page stream and trigger', async () => {
    const TOKEN = 'page-s3cret';
    const service = await startService({ network: { token: TOKEN } }, { frames: 5 });
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const denied = await page.goto(service.httpUrl);
      assert.equal(denied?.status(), 401);
      await page.goto(`${service.httpUrl}/?token=${TOKEN}`);
      await waitForFrames(page, 3);
      await page.click('#trigger');
      assert.ok(await triggeredEventId(page));
    } finally {
      await browser.close();
      assert.equal(await service.stop(), 0);
    }
  });
});
