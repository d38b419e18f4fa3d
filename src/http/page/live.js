// The live page: draws the MJPEG stream on a canvas (so it can count frames),
// polls status, lists recent events, and fires a trigger; the history
// timeline (timeline.js) and the event viewer (viewer.js) sit beside it.
// No build step.
import { startTimeline } from './timeline.js';
import { openEvent } from './viewer.js';

const $ = (id) => document.getElementById(id);
const picture = $('picture');
const context = picture.getContext('2d');
const stats = { shown: 0, since: performance.now(), fps: 0, lastFrameId: -1, dropped: 0 };
// Exposed for tests and the curious: frames shown, their rate, the last frame id.
window.picamLive = stats;

async function readStream() {
  const width = Math.min(1280, Math.round(picture.clientWidth * devicePixelRatio) || 640);
  const response = await fetch(`/live.mjpg?max_fps=15&width=${width}`, { cache: 'no-store' });
  if (!response.ok || !response.body) throw new Error(`live stream: HTTP ${response.status}`);
  const reader = response.body.getReader();
  let buffer = new Uint8Array(0);
  const decoder = new TextDecoder();
  for (;;) {
    // Each part: boundary and headers up to a blank line, then Content-Length bytes of JPEG.
    const headerEnd = indexOfBlankLine(buffer);
    if (headerEnd >= 0) {
      const headers = decoder.decode(buffer.subarray(0, headerEnd));
      const length = Number(/content-length:\s*(\d+)/i.exec(headers)?.[1] ?? NaN);
      if (!Number.isFinite(length)) throw new Error('live stream: part without Content-Length');
      const start = headerEnd + 4;
      if (buffer.length >= start + length) {
        const jpeg = buffer.slice(start, start + length);
        buffer = buffer.slice(start + length);
        await show(jpeg, headers);
        continue;
      }
    }
    const { value, done } = await reader.read();
    if (done) throw new Error('live stream ended');
    const joined = new Uint8Array(buffer.length + value.length);
    joined.set(buffer);
    joined.set(value, buffer.length);
    buffer = joined;
  }
}

function indexOfBlankLine(bytes) {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

async function show(jpeg, headers) {
  const bitmap = await createImageBitmap(new Blob([jpeg], { type: 'image/jpeg' }));
  if (picture.width !== bitmap.width || picture.height !== bitmap.height) {
    picture.width = bitmap.width;
    picture.height = bitmap.height;
  }
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  stats.shown++;
  stats.lastFrameId = Number(/x-frame-id:\s*(\d+)/i.exec(headers)?.[1] ?? -1);
  stats.dropped += Number(/x-dropped:\s*(\d+)/i.exec(headers)?.[1] ?? 0);
  const now = performance.now();
  if (now - stats.since >= 1000) {
    stats.fps = (stats.shown - (stats.countAtSince ?? 0)) * 1000 / (now - stats.since);
    stats.since = now;
    stats.countAtSince = stats.shown;
  }
}

async function keepStreaming() {
  for (;;) {
    try {
      $('stream-state').textContent = '';
      await readStream();
    } catch (error) {
      $('stream-state').textContent = `${error.message}; retrying…`;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

async function refreshStatus() {
  try {
    const response = await fetch('/api/status', { cache: 'no-store' });
    const status = await response.json();
    const night = status.night;
    $('mode').textContent = night.night ? 'night' : 'day';
    $('mode').dataset.night = String(night.night);
    $('score').textContent = `dark score ${night.dark_score.toFixed(1)} (${night.normalized_score.toFixed(1)})`;
    $('fps').textContent = `${stats.fps.toFixed(1)} / ${status.source.measured_frames_per_second.toFixed(1)} fps`;
    $('version').textContent = `picam ${status.version} · ${status.source.kind} ${status.source.width}x${status.source.height}`;
  } catch {
    $('mode').textContent = 'offline';
    $('mode').dataset.night = 'unknown';
  }
}

let shownEvents = '';
async function refreshEvents() {
  const response = await fetch('/api/events?limit=12', { cache: 'no-store' });
  if (!response.ok) return;
  const { events } = await response.json();
  const key = JSON.stringify(events.map((e) => [e.event_id, e.state]));
  if (key === shownEvents) return;
  shownEvents = key;
  const list = $('events');
  list.replaceChildren(
    ...events.map((event) => {
      const item = document.createElement('li');
      item.dataset.eventId = event.event_id;
      const thumb = document.createElement('img');
      thumb.alt = '';
      thumb.loading = 'lazy';
      if (event.state !== 'pending') thumb.src = `/api/events/${encodeURIComponent(event.event_id)}/thumbnail.jpg`;
      thumb.onerror = () => thumb.removeAttribute('src');
      thumb.addEventListener('click', () => openEvent(event.event_id));
      thumb.title = 'open';
      const text = document.createElement('div');
      const when = new Date(event.trigger_ms).toLocaleString();
      const id = encodeURIComponent(event.event_id);
      text.innerHTML = `<a href="/events/${id}/" class="open">${escapeHtml(event.event_id)}</a><br>` +
        `<span class="state-${event.state}">${event.state}</span> · ${event.frame_count} frames · ${escapeHtml(event.source)}` +
        `${event.reason ? ' · ' + escapeHtml(event.reason) : ''}<br><span class="muted">${when}</span> · ` +
        `<a href="/events/${id}/event.json">event.json</a> · <a href="/events/${id}.zip">zip</a>`;
      text.querySelector('a.open').addEventListener('click', (e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey) return;
        e.preventDefault();
        openEvent(event.event_id);
      });
      item.append(thumb, text);
      return item;
    }),
  );
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

$('trigger').addEventListener('click', async () => {
  const button = $('trigger');
  button.disabled = true;
  try {
    const response = await fetch('/api/trigger', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ reason: 'live page' }) });
    const body = await response.json();
    $('trigger-result').textContent = response.ok ? `saving ${body.event_id}` : `failed: ${body.error}`;
    setTimeout(refreshEvents, 300);
    setTimeout(timeline.refresh, 300);
  } catch (error) {
    $('trigger-result').textContent = `failed: ${error.message}`;
  } finally {
    button.disabled = false;
  }
});

const timeline = startTimeline({
  svg: $('timeline'),
  rangeButtons: [...document.querySelectorAll('.ranges button')],
  readout: $('timeline-readout'),
  onEvent: openEvent,
});
keepStreaming();
refreshStatus();
refreshEvents();
setInterval(refreshStatus, 1000);
setInterval(refreshEvents, 2000);
