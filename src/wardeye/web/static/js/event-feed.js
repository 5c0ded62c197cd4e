// Follows the server's analytics feed (Server-Sent Events, /api/events/stream) and reports its
// state. EventSource reconnects by itself after a dropped link; when the server refuses outright
// (the connection is closed for good) we try again after a pause. Events sent while the link was
// down are not replayed by the server, so callers refetch the list on ``onReconnected``.
import { t } from './common.js';

const RETRY_MS = 5000;

/** Start following; returns ``{ close() }``. States: connecting, live, reconnecting, unavailable. */
export function followEvents({ cameraId = null, onEvent, onState = () => {}, onReconnected = () => {} }) {
  let source = null;
  let retry = null;
  let openedBefore = false;
  const open = () => {
    source = new EventSource(`/api/events/stream${cameraId ? `?camera_id=${cameraId}` : ''}`);
    onState(openedBefore ? 'reconnecting' : 'connecting');
    source.onopen = () => {
      onState('live');
      if (openedBefore) onReconnected();
      openedBefore = true;
    };
    source.addEventListener('analytics', (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      onEvent(event);
    });
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) { onState('reconnecting'); return; }
      source.close();
      onState('unavailable');
      retry = setTimeout(open, RETRY_MS);
    };
  };
  open();
  return { close() { clearTimeout(retry); source?.close(); } };
}

/** Words for an event kind and the object's label, in the page's language. */
/** t() answers the key itself when a string is missing: show the raw value then. */
export function words(key, raw) { const text = t(key); return text === key ? raw : text; }
export const kindText = (kind) => words(`kind_${kind}`, kind);
export const labelText = (label) => (label ? words(`label_${label}`, label) : '');
