// Shared helpers: the page's settings, translated strings, API calls, and times shown in the
// viewer's zone as dd/mm/yyyy (times travel as UTC ISO strings or epoch milliseconds).

export const client = JSON.parse(document.getElementById('wardeye-client').textContent);
export const t = (key) => client.strings[key] ?? key;

export async function api(path, options = {}) {
  const response = await fetch(path, { credentials: 'same-origin', ...options });
  if (response.status === 401) { location.href = '/login'; throw new Error('login needed'); }
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail ?? detail; } catch { /* not JSON */ }
    const error = new Error(typeof detail === 'string' ? detail : JSON.stringify(detail));
    error.status = response.status;
    throw error;
  }
  return response.json();
}

const pad = (n) => String(n).padStart(2, '0');

function parts(ms, zone = client.tz) {
  const fmt = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const out = {};
  for (const p of fmt.formatToParts(new Date(ms))) out[p.type] = p.value;
  return out;
}

/** "dd/mm/yyyy HH:MM:SS" in the viewer's zone. */
export function formatDateTime(ms, zone = client.tz) {
  if (ms == null || Number.isNaN(ms)) return '–';
  const p = parts(ms, zone);
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}:${p.second}`;
}
export function formatDate(ms, zone = client.tz) {
  const p = parts(ms, zone);
  return `${p.day}/${p.month}/${p.year}`;
}
export function formatTime(ms, zone = client.tz, seconds = true) {
  const p = parts(ms, zone);
  return seconds ? `${p.hour}:${p.minute}:${p.second}` : `${p.hour}:${p.minute}`;
}

/** Offset of ``zone`` from UTC at instant ``ms``, in milliseconds. */
function zoneOffset(ms, zone) {
  const p = parts(ms, zone);
  const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** Wall-clock date and time read in ``zone`` -> epoch ms (UTC). */
export function parseLocal(dateText, timeText, zone = client.tz) {
  const d = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(dateText);
  const tm = /^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$/.exec(timeText || '00:00');
  if (!d || !tm) return null;
  const guess = Date.UTC(+d[3], +d[2] - 1, +d[1], +tm[1], +tm[2], +(tm[3] || 0));
  let ms = guess - zoneOffset(guess, zone);
  ms = guess - zoneOffset(ms, zone); // second pass settles daylight-saving edges
  return ms;
}

export const iso = (ms) => new Date(ms).toISOString();

export function stateLabel(state) { return t(`state_${state}`); }

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) node.append(c);
  return node;
}

/** Whether a camera's video may be shown: public, or a household camera shared live. */

// Recorded footage needs a stated reason when the site's policy says so (the server answers
// 428). It is asked once per viewing session (this tab) and sent with every request.
const REASON_KEY = 'wardeye.reason';
export function accessReason(askAgain = false) {
  let reason = askAgain ? '' : sessionStorage.getItem(REASON_KEY) || '';
  if (!reason && (askAgain || client.reason_required)) {
    reason = (prompt(t('reason_prompt')) || '').trim();
    if (reason) sessionStorage.setItem(REASON_KEY, reason);
  }
  return reason;
}
export function reasonHeaders(askAgain = false) {
  const reason = accessReason(askAgain);
  return reason ? { 'X-Access-Reason': encodeURIComponent(reason) } : {};
}
