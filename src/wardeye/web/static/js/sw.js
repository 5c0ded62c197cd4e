// WardEye service worker: keeps the app shell (styles, scripts, vendor packages, icons) so the
// installed app opens instantly and on a flaky link. API calls, pages and video always go to
// the server: live and recorded footage must never come from a cache.
const CACHE = 'wardeye-shell-v2';
const SHELL = [
  '/static/wardeye.css',
  '/static/js/common.js', '/static/js/pwa.js', '/static/js/map.js', '/static/js/live.js',
  '/static/js/live-player.js', '/static/js/playback.js', '/static/js/recorded-player.js',
  '/static/js/timeline.js', '/static/js/health.js', '/static/js/status.js',
  '/static/js/events.js', '/static/js/event-feed.js', '/static/js/alerts.js',
  '/static/js/users.js', '/static/js/audit.js', '/static/js/my-cameras.js',
  '/static/vendor/leaflet/leaflet.js', '/static/vendor/leaflet/leaflet.css',
  '/static/icons/icon-192.png', '/static/icons/icon-512.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== location.origin) return;
  if (!url.pathname.startsWith('/static/')) return; // pages, API, video: network only
  // Network first (fresh after an upgrade), cached copy when the network fails.
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        const copy = response.clone();
        caches.open(CACHE).then((c) => c.put(event.request, copy));
        return response;
      })
      .catch(() => caches.match(event.request)),
  );
});
