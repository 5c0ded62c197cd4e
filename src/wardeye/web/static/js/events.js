// Events page: the newest analytics events (GET /api/events), then new ones as they happen over
// the Server-Sent Events feed, added at the top and highlighted briefly. Filters (camera, kind)
// live in the address so a filtered view can be shared; "Play back" opens the footage 3 s
// before the event started.
import { api, client, el, formatDateTime, iso, t } from './common.js';
import { followEvents, kindText, labelText, words } from './event-feed.js';

const PAGE = 50;
const LEAD_MS = 3000;
const HIGHLIGHT_MS = 5000;
const list = document.getElementById('event-list');
const empty = document.getElementById('event-empty');
const failure = document.getElementById('event-error');
const more = document.getElementById('load-more');
const feedState = document.getElementById('feed-state');
const cameraSelect = document.getElementById('filter-camera');
const kindSelect = document.getElementById('filter-kind');
const rows = new Map(); // event id -> <li>
let feed = null;
let oldestId = null;
let generation = 0; // a newer filter choice makes older answers stale

const params = new URLSearchParams(location.search);
cameraSelect.value = params.get('camera') || '';
kindSelect.value = params.get('kind') || '';
if (cameraSelect.value !== (params.get('camera') || '')) cameraSelect.value = '';
if (kindSelect.value !== (params.get('kind') || '')) kindSelect.value = '';

const camera = (id) => client.cameras[String(id)];
const startMs = (e) => Date.parse(e.start);

export function playbackUrl(e) {
  const q = new URLSearchParams({ cameras: String(e.camera_id), t: iso(startMs(e) - LEAD_MS) });
  return `/playback?${q}`;
}

function detailText(e) {
  const d = e.details || {};
  if (e.kind === 'line_crossing' && d.direction) return words(`direction_${d.direction}`, d.direction);
  if (e.kind === 'speeding' && d.speed_kmh != null) return `${d.speed_kmh} km/h`;
  if (e.kind === 'gathering' && (d.peak ?? d.count)) return `${d.peak ?? d.count} ${t('people')}`;
  if (e.kind === 'loitering' && d.seconds) return `${Math.round(d.seconds)} ${t('seconds')}`;
  return '';
}

function thumb(e, href) {
  if (!e.snapshot_url) return el('div', { class: 'thumb none', 'aria-hidden': 'true' });
  const img = el('img', { src: e.snapshot_url, loading: 'lazy', decoding: 'async', alt: `${t('snapshot')}: ${kindText(e.kind)}` });
  img.addEventListener('error', () => img.replaceWith(el('div', { class: 'thumb-missing' })), { once: true });
  return href ? el('a', { class: 'thumb', href, tabindex: '-1' }, img) : el('div', { class: 'thumb' }, img);
}

function render(e, source) {
  const cam = camera(e.camera_id);
  const href = cam?.video === false ? null : playbackUrl(e);
  const meta = [
    labelText(e.label),
    e.zone,
    e.confidence != null ? `${Math.round(e.confidence * 100)} %` : '',
    detailText(e),
  ].filter(Boolean).join(' · ');
  const head = el('div', { class: 'event-head' },
    el('span', { class: `kind kind-${e.kind}`, text: kindText(e.kind) }),
    el('time', { datetime: e.start, text: formatDateTime(startMs(e)) }));
  if (!e.end) head.append(el('span', { class: 'state ongoing', text: t('ongoing') }));
  const body = el('div', { class: 'event-body' }, head,
    el('div', { class: 'event-camera', text: cam?.name ?? `#${e.camera_id}` }));
  if (meta) body.append(el('div', { class: 'event-meta muted small', text: meta }));
  if (href) body.append(el('a', { class: 'play-back', href }, `▶ ${t('play_back')}`));
  return el('li', {
    class: 'event', 'data-event-id': e.id, 'data-camera-id': e.camera_id, 'data-kind': e.kind,
    'data-start': e.start, 'data-source': source,
  }, thumb(e, href), body);
}

const wanted = (e) => (!cameraSelect.value || String(e.camera_id) === cameraSelect.value)
  && (!kindSelect.value || e.kind === kindSelect.value);

const newer = (a, b) => (a.start === b.start ? a.id > b.id : Date.parse(a.start) > Date.parse(b.start));

/** Add or update one event; ``source`` says how it came (list or live). */
function upsert(e, source) {
  if (!wanted(e)) return;
  const existing = rows.get(e.id);
  if (existing) {
    const row = render(e, existing.dataset.source);
    row.className = existing.className;
    existing.replaceWith(row);
    rows.set(e.id, row);
    return;
  }
  const row = render(e, source);
  let before = null;
  for (const other of list.children) {
    if (newer(e, { id: Number(other.dataset.eventId), start: other.dataset.start })) { before = other; break; }
  }
  list.insertBefore(row, before);
  rows.set(e.id, row);
  if (source === 'live') {
    row.classList.add('fresh');
    setTimeout(() => row.classList.remove('fresh'), HIGHLIGHT_MS);
  }
  empty.hidden = rows.size > 0;
}

async function load(olderThan = null) {
  const mine = generation;
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (cameraSelect.value) q.set('camera_id', cameraSelect.value);
  if (kindSelect.value) q.set('kind', kindSelect.value);
  if (olderThan != null) q.set('before_id', String(olderThan));
  try {
    const events = await api(`/api/events?${q}`);
    if (mine !== generation) return;
    failure.hidden = true;
    for (const e of events) {
      upsert(e, 'list');
      oldestId = oldestId == null ? e.id : Math.min(oldestId, e.id);
    }
    more.hidden = events.length < PAGE;
  } catch (error) {
    if (mine !== generation) return;
    failure.textContent = `${t('error')}: ${error.message}`;
    failure.hidden = false;
  }
  empty.hidden = rows.size > 0 || !failure.hidden;
  list.setAttribute('aria-busy', 'false');
  document.body.dataset.eventsLoaded = '1';
}

function showState(state) {
  feedState.className = `state feed-${state}`;
  feedState.textContent = t(`feed_${state}`);
  document.body.dataset.feed = state;
}

function start() {
  generation += 1;
  feed?.close();
  rows.clear();
  list.replaceChildren();
  oldestId = null;
  list.setAttribute('aria-busy', 'true');
  // Follow first, then list: an event written in between arrives on the feed and is merged.
  feed = followEvents({
    cameraId: cameraSelect.value || null,
    onEvent: (e) => upsert(e, 'live'),
    onState: showState,
    onReconnected: () => load(),
  });
  load();
}

function filtersChanged() {
  const q = new URLSearchParams(location.search);
  for (const [key, select] of [['camera', cameraSelect], ['kind', kindSelect]]) {
    if (select.value) q.set(key, select.value); else q.delete(key);
  }
  history.replaceState(null, '', `${location.pathname}${q.size ? `?${q}` : ''}`);
  start();
}

cameraSelect.addEventListener('change', filtersChanged);
kindSelect.addEventListener('change', filtersChanged);
document.getElementById('event-filters').addEventListener('submit', (ev) => ev.preventDefault());
more.addEventListener('click', () => load(oldestId));
start();
