// Playback page: one player and one timeline per camera; click a timeline to play from that
// instant, seek, change speed (0.5x to 8x), step frame by frame, and keep several cameras in
// sync on one wall clock (the first camera that has footage leads, the others follow it).
import { api, client, formatDate, formatDateTime, formatTime, iso, parseLocal, t } from './common.js';
import { RecordedPlayer } from './recorded-player.js';
import { Timeline, zoneShift } from './timeline.js';

const params = new URLSearchParams(location.search);
const playersBox = document.getElementById('players');
const timelinesBox = document.getElementById('timelines');
const syncBox = document.getElementById('sync');
const zoomSelect = document.getElementById('zoom');
const speedSelect = document.getElementById('speed');
const playButton = document.getElementById('play');
const clockOut = document.getElementById('clock');
const entries = new Map(); // camera id -> { player, timeline }
window.wardeyePlayback = entries; // for tests

const state = {
  clock: Date.now() - 120e3,
  playing: true,
  rate: 1,
  lastTick: performance.now(),
};

function span() { return Number(zoomSelect.value) * 1000; }

function setView(centre) {
  const half = span() / 2;
  const shift = zoneShift(centre, client.tz);
  for (const { timeline } of entries.values()) {
    timeline.zoneShiftMs = shift;
    timeline.setView(centre - half, centre + half);
  }
}

function fillGoto(ms) {
  document.getElementById('goto-date').value = formatDate(ms);
  document.getElementById('goto-time').value = formatTime(ms);
}

function seekAll(ms, only = null) {
  state.clock = ms;
  for (const [id, { player }] of entries) {
    if (!syncBox.checked && only != null && id !== only) continue;
    player.seek(ms, { play: state.playing });
  }
  setView(ms);
  fillGoto(ms);
}

function addCamera(id, name) {
  if (entries.has(id)) return;
  const tile = document.createElement('div');
  tile.className = 'tile';
  tile.dataset.cameraId = id;
  const player = new RecordedPlayer(tile, { cameraId: id, name, onState: updateButtons });
  player.setRate(state.rate);
  player.overlay.addEventListener('click', () => { if (player.nextStart) seekAll(player.nextStart, id); });
  const close = document.createElement('button');
  close.className = 'tile-close small';
  close.textContent = '×';
  close.title = t('remove');
  close.onclick = () => removeCamera(id);
  tile.append(close);
  playersBox.append(tile);
  const timeline = new Timeline(timelinesBox, {
    cameraId: id, name,
    onSeek: (ms) => seekAll(ms, id),
    onPan: (a, b) => { for (const e of entries.values()) e.timeline.setView(a, b); },
  });
  entries.set(id, { player, timeline });
  playersBox.dataset.count = entries.size;
  setView(state.clock);
  player.seek(state.clock, { play: state.playing });
  saveUrl();
}

function removeCamera(id) {
  const entry = entries.get(id);
  if (!entry) return;
  entry.player.destroy();
  entry.timeline.row.remove();
  entries.delete(id);
  playersBox.dataset.count = entries.size;
  saveUrl();
}

function saveUrl() {
  const q = new URLSearchParams({ cameras: [...entries.keys()].join(','), t: new Date(state.clock).toISOString() });
  history.replaceState(null, '', `?${q}`);
}

function updateButtons() {
  playButton.textContent = state.playing ? '❚❚' : '▶';
  playButton.title = state.playing ? t('pause') : t('play');
}

function leader() {
  for (const { player } of entries.values()) {
    if (player.idleAt == null && player.origin != null && !player.loading && player.hasFootageAt(player.wallTime())) return player;
  }
  return null;
}

/** Every 200 ms: advance the clock, keep followers in step, move cursors and the view. */
function tick() {
  const now = performance.now();
  const dt = now - state.lastTick;
  state.lastTick = now;
  const lead = leader();
  if (lead) state.clock = lead.wallTime();
  else if (state.playing) state.clock += dt * state.rate;
  const players = [...entries.values()].map((e) => e.player);
  if (!lead && state.playing && players.length && players.every((p) => p.idleAt != null && !p.loading)) {
    // Nobody has footage here: skip the gap to where the first camera's footage resumes.
    const resume = players.map((p) => p.nextStart).filter((n) => n != null && n > state.clock);
    if (resume.length) { seekAll(Math.min(...resume) + 2); return; }
  }
  if (syncBox.checked) {
    const tolerance = 350 * Math.max(1, state.rate);
    for (const { player } of entries.values()) {
      if (player === lead || player.loading) continue;
      if (player.idleAt != null) {
        if (player.nextStart != null && state.clock >= player.nextStart) player.seek(state.clock, { play: state.playing });
        else player.idleAt = state.clock;
      } else if (Math.abs(player.wallTime() - state.clock) > tolerance) {
        player.seek(state.clock, { play: state.playing });
      }
    }
  }
  for (const { player, timeline } of entries.values()) timeline.setCursor(player.wallTime() ?? state.clock);
  const view = entries.values().next().value?.timeline.view;
  if (view && (state.clock < view[0] || state.clock > view[1] - span() * 0.05)) setView(state.clock + span() * 0.3);
  clockOut.textContent = formatDateTime(state.clock);
  if (Math.round(now / 1000) % 5 === 0) saveUrl();
}

playButton.onclick = () => {
  state.playing = !state.playing;
  for (const { player } of entries.values()) (state.playing ? player.play() : player.pause());
  updateButtons();
};
speedSelect.onchange = () => {
  state.rate = Number(speedSelect.value);
  for (const { player } of entries.values()) player.setRate(state.rate);
};
const step = (dir) => {
  state.playing = false;
  updateButtons();
  for (const { player } of entries.values()) player.step(dir);
};
document.getElementById('step-back').onclick = () => step(-1);
document.getElementById('step-forward').onclick = () => step(1);
document.getElementById('back10').onclick = () => seekAll(state.clock - 10e3);
document.getElementById('fwd10').onclick = () => seekAll(state.clock + 10e3);
zoomSelect.onchange = () => setView(state.clock);
document.getElementById('add-camera').onchange = (e) => {
  const option = e.target.selectedOptions[0];
  if (option.value) addCamera(Number(option.value), option.textContent);
  e.target.value = '';
};
document.getElementById('goto').onsubmit = (e) => {
  e.preventDefault();
  const ms = parseLocal(document.getElementById('goto-date').value, document.getElementById('goto-time').value);
  if (ms != null) seekAll(ms);
};

const names = new Map([...document.querySelectorAll('#add-camera option[value]')]
  .filter((o) => o.value).map((o) => [Number(o.value), o.textContent]));
const wanted = (params.get('cameras') || '').split(',').map(Number).filter((n) => names.has(n));
if (!wanted.length && names.size) wanted.push(names.keys().next().value);
/** Where to start without ?t=: a minute before the end of the newest footage. */
async function startTime(cameraId) {
  if (params.get('t')) return Date.parse(params.get('t'));
  const now = Date.now();
  try {
    const line = await api(`/api/playback/${cameraId}/timeline?start=${encodeURIComponent(iso(now - 86400e3))}&end=${encodeURIComponent(iso(now + 60e3))}`);
    const last = line.ranges[line.ranges.length - 1];
    if (last) return Math.max(Date.parse(last.start), Math.min(now - 120e3, Date.parse(last.end) - 60e3));
  } catch { /* fall through */ }
  return now - 120e3;
}

updateButtons();
(wanted.length ? startTime(wanted[0]) : Promise.resolve(state.clock)).then((ms) => {
  state.clock = ms;
  fillGoto(ms);
  for (const id of wanted) addCamera(id, names.get(id));
  setInterval(tick, 200);
});
