// The event viewer: an event's frames as a flip-book (slider, arrows, play),
// the manifest's key facts, the clip when there is one, and the downloads.
// jpg frames are shown as saved; png and npy frames through the server's
// JPEG preview, so an npy-only event can be looked at too.
const $ = (id) => document.getElementById(id);
const dialog = $('viewer');
const image = $('viewer-frame');
const slider = $('viewer-slider');

/** Exposed for tests: which event and frame is shown, and whether its image has loaded. */
const state = { eventId: '', index: 0, count: 0, frameId: -1, loaded: false, error: '' };
window.picamViewer = state;

let frames = [];
let manifest;
let playTimer;
let openToken = 0;
/** The frame URL asked for last: a late load of an earlier one does not count as loaded. */
let shownSrc = '';

function frameUrl(eventId, frame) {
  const id = encodeURIComponent(eventId);
  const jpg = frame.files.find((name) => name.endsWith('.jpg'));
  if (jpg) return `/events/${id}/${encodeURIComponent(jpg)}`;
  const other = frame.files.find((name) => name.endsWith('.png')) ?? frame.files.find((name) => name.endsWith('.npy'));
  return other ? `/api/events/${id}/preview/${encodeURIComponent(other)}?width=960` : '';
}

function show(index) {
  if (frames.length === 0) return;
  const i = Math.max(0, Math.min(frames.length - 1, index));
  const frame = frames[i];
  state.index = i;
  state.frameId = frame.id;
  slider.value = String(i);
  const src = frameUrl(state.eventId, frame);
  // The same frame again (slider released where it was): no new load event would come.
  if (src === shownSrc && image.complete && image.naturalWidth > 0) state.loaded = true;
  else {
    state.loaded = false;
    shownSrc = src;
    image.src = src;
  }
  const offset = (frame.timestamp_ms - manifest.trigger.time_ms) / 1000;
  $('viewer-caption').textContent =
    `frame ${i + 1} / ${frames.length} · id ${frame.id} · ${offset >= 0 ? '+' : ''}${offset.toFixed(2)} s from trigger · ` +
    `score ${frame.dark_score.toFixed(1)} · ${frame.night ? 'night' : 'day'} · ${frame.exposure_us} µs × ${frame.gain}`;
  // Warm the browser cache for the next few frames, so stepping is smooth.
  for (let k = 1; k <= 3 && i + k < frames.length; k++) new Image().src = frameUrl(state.eventId, frames[i + k]);
}

image.addEventListener('load', () => (state.loaded = image.getAttribute('src') === shownSrc));
image.addEventListener('error', () => (state.error = `frame ${state.frameId} failed to load`));
slider.addEventListener('input', () => show(Number(slider.value)));
$('viewer-prev').addEventListener('click', () => show(state.index - 1));
$('viewer-next').addEventListener('click', () => show(state.index + 1));
$('viewer-play').addEventListener('click', () => (playTimer ? stop() : play()));
$('viewer-close').addEventListener('click', () => dialog.close());
dialog.addEventListener('close', () => stop());
dialog.addEventListener('keydown', (e) => {
  if (e.target === slider) return;
  if (e.key === 'ArrowLeft') show(state.index - 1);
  if (e.key === 'ArrowRight') show(state.index + 1);
});

/** At the frames' own rate (from their capture times), at most 30 a second. */
function play() {
  if (frames.length < 2) return;
  const spanMs = frames[frames.length - 1].timestamp_ms - frames[0].timestamp_ms;
  const intervalMs = Math.max(1000 / 30, spanMs / (frames.length - 1));
  if (state.index >= frames.length - 1) show(0);
  $('viewer-play').textContent = 'pause';
  playTimer = setInterval(() => (state.index >= frames.length - 1 ? stop() : show(state.index + 1)), intervalMs);
}

function stop() {
  clearInterval(playTimer);
  playTimer = undefined;
  $('viewer-play').textContent = 'play';
}

function fact(term, value) {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  return [dt, dd];
}

function describe(m) {
  const missing = m.missing.reduce((sum, range) => sum + range.last_id - range.first_id + 1, 0);
  const atNight = m.frames.filter((f) => f.night).length;
  const trigger = [m.trigger.source, m.trigger.reason, m.trigger.label].filter(Boolean).join(' · ');
  const facts = [
    ['Trigger', `${trigger} at ${new Date(m.trigger.time_ms).toLocaleString()}`],
    ['Window', `${m.window.before_s} s before, ${m.window.after_s} s after (${new Date(m.window.start).toLocaleTimeString()} – ${new Date(m.window.end).toLocaleTimeString()})`],
    ['Frames', `${m.frames.length} saved as ${m.formats.join(', ')}`],
    ['Night', atNight === 0 ? 'no (day)' : atNight === m.frames.length ? `yes, all ${atNight} frames` : `${atNight} of ${m.frames.length} frames`],
    ['Missing', missing === 0 ? 'none' : `${missing}: ` + m.missing.map((r) => `${r.first_id}-${r.last_id} ${r.reason}`).join('; ')],
  ];
  if (m.stacks.length > 0) facts.push(['Stacks', String(m.stacks.length)]);
  facts.push(['Size', `${(m.bytes / 1e6).toFixed(1)} MB`]);
  if (m.error) facts.push(['Error', `${m.error_code ?? ''} ${m.error}`.trim()]);
  return facts;
}

/**
 * event.json's frames are moving to the proto's names (`frame_id`,
 * `capture_time`); the viewer reads either, so it works with folders written
 * before and after the rename.
 */
function withFrameNames(manifest) {
  for (const frame of manifest.frames ?? []) {
    frame.id ??= frame.frame_id;
    frame.timestamp_ms ??= frame.capture_time_ms ?? (typeof frame.capture_time === 'string' ? Date.parse(frame.capture_time) : frame.capture_time);
  }
  return manifest;
}

async function load(eventId, token) {
  const id = encodeURIComponent(eventId);
  // event.json is written last: until it is there the event is still being saved,
  // which may take as long as its window (save_after_s). Stops when another event is opened.
  let finished = false;
  for (;;) {
    const response = await fetch(`/events/${id}/event.json`, { cache: 'no-store' });
    // Another event opened, or the viewer closed: stop waiting.
    if (token !== openToken || !dialog.open) return undefined;
    if (response.ok) return withFrameNames(await response.json());
    if (response.status !== 404) throw new Error(`event.json: HTTP ${response.status}`);
    const summary = await fetch(`/events/${id}/`, { cache: 'no-store' });
    if (token !== openToken || !dialog.open) return undefined;
    if (!summary.ok) throw new Error(`event: HTTP ${summary.status}`);
    const { state: eventState, frame_count: frames } = await summary.json();
    if (eventState !== 'pending') {
      // It may have finished between the two requests: event.json is there now, unless it really is missing.
      if (finished) throw new Error(`event ${eventState} without event.json`);
      finished = true;
      continue;
    }
    $('viewer-state').textContent = 'pending';
    $('viewer-message').textContent = `still being saved (${frames} frames so far)…`;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Opens the viewer on one event. */
export async function openEvent(eventId) {
  const token = ++openToken;
  stop();
  Object.assign(state, { eventId, index: 0, count: 0, frameId: -1, loaded: false, error: '' });
  frames = [];
  $('viewer-title').textContent = eventId;
  $('viewer-state').textContent = '';
  $('viewer-facts').replaceChildren();
  $('viewer-caption').textContent = '';
  $('viewer-message').textContent = 'loading…';
  image.removeAttribute('src');
  shownSrc = '';
  const clip = $('viewer-clip');
  clip.hidden = true;
  clip.removeAttribute('src');
  const id = encodeURIComponent(eventId);
  $('viewer-links').innerHTML = `<a href="/events/${id}.zip" download>download zip</a> · <a href="/events/${id}/event.json">event.json</a> · <a href="/events/${id}/">files (JSON)</a>`;
  if (!dialog.open) dialog.showModal();
  try {
    const loaded = await load(eventId, token);
    if (token !== openToken || !loaded) return;
    manifest = loaded;
    frames = manifest.frames.filter((frame) => frameUrl(eventId, frame) !== '');
    state.count = frames.length;
    slider.max = String(Math.max(0, frames.length - 1));
    $('viewer-state').textContent = manifest.state;
    $('viewer-state').className = `state state-${manifest.state}`;
    $('viewer-facts').replaceChildren(...describe(manifest).flatMap(([term, value]) => fact(term, value)));
    if (manifest.clip) {
      clip.src = `/events/${id}/${encodeURIComponent(manifest.clip)}`;
      clip.hidden = false;
    }
    $('viewer-message').textContent = frames.length === 0 ? 'no frames saved' : '';
    // Start at the frame nearest the trigger: what the trigger was about.
    let nearest = 0;
    for (let i = 0; i < frames.length; i++) {
      if (Math.abs(frames[i].timestamp_ms - manifest.trigger.time_ms) < Math.abs(frames[nearest].timestamp_ms - manifest.trigger.time_ms)) nearest = i;
    }
    show(nearest);
  } catch (error) {
    state.error = error.message;
    $('viewer-message').textContent = `cannot open: ${error.message}`;
  }
}
