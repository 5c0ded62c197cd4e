// Camera status (online/offline …) from the health API, refreshed periodically.
import { api } from './common.js';

/** Map camera id -> state of its main stream ("online", "offline", ...). */
export async function fetchStates() {
  const states = new Map();
  try {
    for (const h of await api('/api/health/cameras')) {
      if ((h.stream ?? 'main') === 'main') states.set(h.camera_id, h.state);
    }
  } catch { /* keep the last known states */ }
  return states;
}

export function watchStates(onStates, everyMs = 10000) {
  const tick = async () => onStates(await fetchStates());
  tick();
  return setInterval(tick, everyMs);
}
