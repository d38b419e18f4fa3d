// The history timeline under the picture: plain SVG drawn from /api/history.
// Top: dark score (raw and normalised) with the dark/bright thresholds as
// lines, night spans shaded, transitions as vertical lines, events as marks
// (click one to open it). Below: capture frame rate and dropped frames.
const SVG = 'http://www.w3.org/2000/svg';
const SCORE_HEIGHT = 150;
const RATE_HEIGHT = 60;
const AXIS_HEIGHT = 18;
const GAP = 10;
const LEFT = 34;
const RIGHT = 8;
const TOP = 12;

/** Exposed for tests and the curious: what was drawn last. */
const state = { draws: 0, samples: 0, transitions: 0, events: 0, seconds: 300, error: '' };
window.picamTimeline = state;

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

function polyline(times, values, x, y, className) {
  const points = [];
  for (let i = 0; i < times.length; i++) points.push(`${x(times[i]).toFixed(1)},${y(values[i]).toFixed(1)}`);
  return el('polyline', { points: points.join(' '), class: className, fill: 'none' });
}

/** Night spans from the first sample's state and the exact transition times. */
function nightSpans(history, startMs, endMs) {
  const spans = [];
  let night = history.samples.night[0] ?? false;
  let since = startMs;
  for (const transition of history.transitions) {
    if (transition.time_ms < startMs) continue;
    if (night && !transition.night) spans.push([since, transition.time_ms]);
    if (!night && transition.night) since = transition.time_ms;
    night = transition.night;
  }
  if (night) spans.push([since, endMs]);
  return spans;
}

function draw(svg, history, onEvent, readout) {
  const width = Math.max(320, Math.round(svg.getBoundingClientRect().width) || 640);
  const height = TOP + SCORE_HEIGHT + GAP + RATE_HEIGHT + AXIS_HEIGHT;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('height', String(height));
  const s = history.samples;
  const endMs = history.now_ms;
  // Start where the data starts when there is less than the range asked for.
  const startMs = Math.max(endMs - history.seconds * 1000, (s.time_ms[0] ?? endMs) - history.interval_ms);
  const x = (ms) => LEFT + ((ms - startMs) / Math.max(1, endMs - startMs)) * (width - LEFT - RIGHT);
  const { dark, bright } = history.thresholds;
  const maxScore = Math.min(255, Math.max(bright * 1.5, 100, ...s.dark_score.map((v) => v * 1.1), ...s.normalized_score.map((v) => v * 1.1)));
  const scoreY = (v) => TOP + SCORE_HEIGHT - (Math.min(v, maxScore) / maxScore) * SCORE_HEIGHT;
  const rateTop = TOP + SCORE_HEIGHT + GAP;
  const maxRate = Math.max(1, ...s.fps, ...s.dropped) * 1.15;
  const rateY = (v) => rateTop + RATE_HEIGHT - (Math.min(v, maxRate) / maxRate) * RATE_HEIGHT;

  const nodes = [];
  nodes.push(el('rect', { x: LEFT, y: TOP, width: width - LEFT - RIGHT, height: SCORE_HEIGHT, class: 'panel' }));
  nodes.push(el('rect', { x: LEFT, y: rateTop, width: width - LEFT - RIGHT, height: RATE_HEIGHT, class: 'panel' }));
  for (const [from, to] of nightSpans(history, startMs, endMs)) {
    const x0 = x(Math.max(from, startMs));
    nodes.push(el('rect', { x: x0, y: TOP, width: Math.max(1, x(to) - x0), height: SCORE_HEIGHT + GAP + RATE_HEIGHT, class: 'night-span' }));
  }
  for (const [name, value, label] of [['dark', dark, `dark ${dark}`], ['bright', bright, `bright ${bright} (normalised)`]]) {
    const y = scoreY(value);
    nodes.push(el('line', { x1: LEFT, x2: width - RIGHT, y1: y, y2: y, class: `threshold ${name}`, 'data-value': value }));
    nodes.push(el('text', { x: width - RIGHT - 4, y: y - 3, class: `threshold-label ${name}`, 'text-anchor': 'end' }, label));
  }
  for (const value of [0, Math.round(maxScore / 2), Math.round(maxScore)]) {
    nodes.push(el('text', { x: LEFT - 4, y: scoreY(value) + 4, class: 'tick', 'text-anchor': 'end' }, String(value)));
  }
  nodes.push(el('text', { x: LEFT - 4, y: rateTop + 10, class: 'tick', 'text-anchor': 'end' }, String(Math.round(maxRate))));
  nodes.push(el('text', { x: LEFT + 4, y: rateTop + 11, class: 'panel-label' }, 'fps / drops'));
  nodes.push(polyline(s.time_ms, s.normalized_score, x, scoreY, 'score normalized'));
  nodes.push(polyline(s.time_ms, s.dark_score, x, scoreY, 'score raw'));
  nodes.push(polyline(s.time_ms, s.fps, x, rateY, 'fps'));
  const barWidth = Math.max(1, (history.interval_ms / Math.max(1, endMs - startMs)) * (width - LEFT - RIGHT));
  for (let i = 0; i < s.time_ms.length; i++) {
    const dropped = s.dropped[i] + s.stream_dropped[i];
    if (dropped > 0) {
      const y = rateY(Math.min(dropped, maxRate));
      nodes.push(el('rect', { x: x(s.time_ms[i]) - barWidth, y, width: barWidth, height: rateTop + RATE_HEIGHT - y, class: 'drop' }, undefined));
    }
  }
  for (const transition of history.transitions) {
    if (transition.time_ms < startMs) continue;
    const tx = x(transition.time_ms);
    const line = el('line', { x1: tx, x2: tx, y1: TOP, y2: rateTop + RATE_HEIGHT, class: 'transition', 'data-night': transition.night });
    line.append(el('title', {}, `${clock(transition.time_ms)} night ${transition.night ? 'on' : 'off'}: ${transition.reason}`));
    nodes.push(line, el('text', { x: tx + 3, y: TOP + SCORE_HEIGHT - 4, class: 'transition-label' }, transition.night ? '☾' : '☀'));
  }
  for (const event of history.events) {
    if (event.time_ms < startMs) continue;
    const ex = x(event.time_ms);
    const mark = el('g', { class: `event-mark state-${event.state}`, 'data-event-id': event.event_id, tabindex: 0, role: 'button' });
    mark.append(
      el('line', { x1: ex, x2: ex, y1: TOP, y2: TOP + SCORE_HEIGHT, class: 'event-line' }),
      el('path', { d: `M${ex - 6},${TOP - 10} L${ex + 6},${TOP - 10} L${ex},${TOP + 1} Z` }),
      el('title', {}, `${clock(event.time_ms)} event ${event.event_id} (${event.state}, ${event.source}${event.reason ? ': ' + event.reason : ''})`),
    );
    mark.addEventListener('click', () => onEvent(event.event_id));
    mark.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') onEvent(event.event_id);
    });
    nodes.push(mark);
  }
  const axisY = rateTop + RATE_HEIGHT + 13;
  const ticks = Math.max(2, Math.floor((width - LEFT - RIGHT) / 110));
  for (let i = 0; i <= ticks; i++) {
    const ms = startMs + ((endMs - startMs) * i) / ticks;
    nodes.push(el('text', { x: x(ms), y: axisY, class: 'tick', 'text-anchor': i === 0 ? 'start' : i === ticks ? 'end' : 'middle' }, clock(ms)));
  }
  const cursor = el('line', { x1: 0, x2: 0, y1: TOP, y2: rateTop + RATE_HEIGHT, class: 'cursor', visibility: 'hidden' });
  nodes.push(cursor);
  svg.replaceChildren(...nodes);
  svg.onmousemove = (e) => {
    const box = svg.getBoundingClientRect();
    const px = ((e.clientX - box.left) / box.width) * width;
    const ms = startMs + ((px - LEFT) / (width - LEFT - RIGHT)) * (endMs - startMs);
    let best = -1;
    for (let i = 0; i < s.time_ms.length; i++) if (best < 0 || Math.abs(s.time_ms[i] - ms) < Math.abs(s.time_ms[best] - ms)) best = i;
    if (best < 0) return;
    cursor.setAttribute('x1', String(x(s.time_ms[best])));
    cursor.setAttribute('x2', String(x(s.time_ms[best])));
    cursor.setAttribute('visibility', 'visible');
    readout.textContent = `${clock(s.time_ms[best])} · score ${s.dark_score[best].toFixed(1)} (${s.normalized_score[best].toFixed(1)}) · ` +
      `${s.night[best] ? 'night' : 'day'} · ${s.exposure_us[best]} µs × ${s.gain[best]} · ${s.fps[best].toFixed(1)} fps · ` +
      `${s.dropped[best]} dropped · ${s.stream_subscribers[best]} viewers`;
  };
  svg.onmouseleave = () => cursor.setAttribute('visibility', 'hidden');
  Object.assign(state, { draws: state.draws + 1, samples: s.time_ms.length, transitions: history.transitions.length, events: history.events.length, error: '' });
}

/** Polls the history and redraws; the range buttons pick how far back. */
export function startTimeline({ svg, rangeButtons, readout, onEvent }) {
  let latest;
  let timer;
  const refresh = async () => {
    clearTimeout(timer);
    try {
      const response = await fetch(`/api/history?seconds=${state.seconds}`, { cache: 'no-store' });
      if (!response.ok) throw new Error(`history: HTTP ${response.status}`);
      latest = await response.json();
      draw(svg, latest, onEvent, readout);
    } catch (error) {
      state.error = error.message;
    }
    // An hour is ~200 KB of JSON: fetched less often than the short ranges.
    timer = setTimeout(refresh, state.seconds > 900 ? 10000 : 2000);
  };
  for (const button of rangeButtons) {
    button.addEventListener('click', () => {
      state.seconds = Number(button.dataset.seconds);
      for (const other of rangeButtons) other.setAttribute('aria-pressed', String(other === button));
      refresh();
    });
  }
  window.addEventListener('resize', () => latest && draw(svg, latest, onEvent, readout));
  refresh();
  return { refresh };
}
