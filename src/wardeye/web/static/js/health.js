// Camera health: per stream state, frame rate, bitrate, size, last packet; recorded uptime over
// 24 h and 7 d. Refreshed every 10 s.
import { api, el, formatDateTime, stateLabel, t } from './common.js';

const table = document.querySelector('#health-table tbody');
const pct = (x) => (x == null ? '–' : `${(x * 100).toFixed(1)} %`);

function rowFor(cameraId, stream) {
  let row = table.querySelector(`tr[data-camera-id="${cameraId}"][data-stream="${stream}"]`);
  if (row) return row;
  const main = table.querySelector(`tr[data-camera-id="${cameraId}"][data-stream="main"]`);
  if (!main) return null;
  row = main.cloneNode(true);
  row.dataset.stream = stream;
  row.querySelector('td').textContent = '';
  row.querySelector('.f-stream').textContent = stream;
  for (const f of ['.f-day', '.f-week']) row.querySelector(f).textContent = '';
  main.after(row);
  return row;
}

function set(row, field, text) { const c = row.querySelector(field); if (c) c.textContent = text; }

async function refresh() {
  const [health, uptime] = await Promise.all([
    api('/api/health/cameras').catch(() => []),
    api('/api/playback/uptime').catch(() => []),
  ]);
  for (const h of health) {
    const row = rowFor(h.camera_id, h.stream ?? 'main');
    if (!row) continue;
    const badge = row.querySelector('.f-state');
    badge.className = `state state-${h.state} f-state`;
    badge.textContent = stateLabel(h.state);
    set(row, '.f-fps', h.fps ? Number(h.fps).toFixed(1) : '–');
    set(row, '.f-bitrate', h.bitrate_kbps ? `${Math.round(h.bitrate_kbps)} kbit/s` : '–');
    set(row, '.f-size', h.width ? `${h.width}×${h.height}${h.codec ? ` ${h.codec}` : ''}` : '–');
    set(row, '.f-seen', h.last_packet_at ? formatDateTime(Date.parse(h.last_packet_at)) : t('never'));
    set(row, '.f-error', h.last_error || '–');
  }
  for (const u of uptime) {
    const row = table.querySelector(`tr[data-camera-id="${u.camera_id}"][data-stream="main"]`);
    if (!row) continue;
    set(row, '.f-day', pct(u.day));
    set(row, '.f-week', pct(u.week));
  }
  document.body.dataset.healthLoaded = '1';
}

document.getElementById('refresh').onclick = refresh;
refresh();
setInterval(refresh, 10000);
void el;
