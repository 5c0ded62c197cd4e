// Real-time alerts on the map and live pages: each new analytics event pops a short toast
// (tap: the events page) and counts on the Events tab. Quiet when analytics is not running.
import { api, el, formatTime } from './common.js';
import { followEvents, kindText } from './event-feed.js';

const SHOW_MS = 8000;
const MAX_TOASTS = 3;
const seen = new Set(); // the feed sends an event again when it closes: alert once
const names = new Map();
const badge = document.getElementById('events-badge');
const box = el('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
document.body.append(box);
let unseen = 0;

api('/api/cameras').then((cameras) => {
  for (const c of cameras) names.set(c.id, c.name);
}).catch(() => {});

function alert(e) {
  if (seen.has(e.id)) return;
  seen.add(e.id);
  unseen += 1;
  if (badge) { badge.textContent = unseen > 99 ? '99+' : String(unseen); badge.hidden = false; }
  const toast = el('a', { class: 'toast', href: '/events', 'data-event-id': e.id },
    el('strong', { text: kindText(e.kind) }), ` · ${names.get(e.camera_id) ?? `#${e.camera_id}`}`,
    ` · ${formatTime(Date.parse(e.start))}`);
  box.prepend(toast);
  while (box.children.length > MAX_TOASTS) box.lastElementChild.remove();
  setTimeout(() => toast.remove(), SHOW_MS);
}

let feed = followEvents({ onEvent: alert, onState: (state) => {
  if (state === 'unavailable') { feed?.close(); } // no analytics here: stay quiet, no retries
} });
