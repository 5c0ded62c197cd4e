// Register the service worker so the app can be installed on a phone's home screen.
if ('serviceWorker' in navigator && window.isSecureContext) {
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => { /* optional */ });
}
