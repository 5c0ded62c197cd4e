// Map page: cameras as pins coloured by live status, filtered by area. Works with no Internet:
// by default a plain coordinate grid (no tiles); an operator may configure a tile server on
// their network or a scanned map image (overlay) in the config file.
import { api, client, el, stateLabel, t } from './common.js';
import { watchStates } from './status.js';

const L = window.L;
const settings = client.map || {};
const COLORS = { online: '#16794c', offline: '#b3261e', reconnecting: '#9a6700', starting: '#9a6700',
  disabled: '#7a828c', unknown: '#7a828c', stopped: '#7a828c', paused_disk_full: '#9a6700' };

/** A tile layer drawn locally: graticule lines and their coordinates, no network at all. */
const CoordinateGrid = L.GridLayer.extend({
  createTile(coords) {
    const tile = document.createElement('canvas');
    const size = this.getTileSize();
    tile.width = size.x; tile.height = size.y;
    const ctx = tile.getContext('2d');
    ctx.fillStyle = '#eef2f5'; ctx.fillRect(0, 0, size.x, size.y);
    ctx.strokeStyle = '#c9d3dc'; ctx.strokeRect(0, 0, size.x, size.y);
    const nw = this._map.unproject(coords.scaleBy(size), coords.z);
    ctx.fillStyle = '#7a8896'; ctx.font = '11px system-ui, sans-serif';
    ctx.fillText(`${nw.lat.toFixed(4)}, ${nw.lng.toFixed(4)}`, 4, 14);
    return tile;
  },
});

function baseLayer(map) {
  if (settings.tile_url) {
    L.tileLayer(settings.tile_url, { maxZoom: settings.max_zoom || 19, attribution: settings.attribution || '' }).addTo(map);
    return 'tiles';
  }
  new CoordinateGrid({ maxZoom: 22 }).addTo(map);
  if (settings.overlay_url && settings.overlay_bounds) {
    L.imageOverlay(settings.overlay_url, settings.overlay_bounds, { opacity: 0.9 }).addTo(map);
    return 'overlay';
  }
  return 'grid';
}

function areaOptions(select) {
  const byParent = new Map();
  for (const a of client.areas || []) {
    if (!byParent.has(a.parent_id)) byParent.set(a.parent_id, []);
    byParent.get(a.parent_id).push(a);
  }
  const add = (parent, depth) => {
    for (const a of byParent.get(parent) || []) {
      select.append(el('option', { value: a.id, text: `${'  '.repeat(depth)}${depth ? '› ' : ''}${a.name}` }));
      add(a.id, depth + 1);
    }
  };
  add(null, 0);
}

function popup(camera, state) {
  const box = el('div', { class: 'pin-popup' },
    el('strong', { text: camera.name }),
    el('div', { class: 'muted small', text: camera.area_path.join(' › ') }),
    el('span', { class: `state state-${state}`, text: stateLabel(state) }),
  );
  if (camera.may_live) {
    box.append(el('img', { class: 'thumb', alt: '', loading: 'lazy',
      src: `/api/live/${camera.id}/snapshot.jpg?stream=sub&t=${Date.now()}`, onerror: (e) => e.target.remove() }));
  }
  const links = el('div', { class: 'actions' });
  if (camera.may_live) links.append(el('a', { href: `/live?camera=${camera.id}`, text: t('watch_live') }));
  if (camera.may_play) links.append(el('a', { href: `/playback?cameras=${camera.id}`, text: t('watch_recorded') }));
  if (!camera.video_shared) box.append(el('small', { class: 'muted', text: t('not_shared') }));
  box.append(links);
  return box;
}

async function main() {
  const map = L.map('map', { zoomControl: true, attributionControl: Boolean(settings.tile_url) });
  const base = baseLayer(map);
  document.getElementById('map-note').textContent = base === 'grid' ? t('offline_map') : '';
  const markers = new Map();
  const states = new Map();
  let cameras = [];
  const filter = document.getElementById('area-filter');
  areaOptions(filter);

  function stateOf(camera) { return camera.enabled ? (states.get(camera.id) || 'unknown') : 'disabled'; }

  function draw(fit) {
    for (const m of markers.values()) m.remove();
    markers.clear();
    const points = [];
    for (const camera of cameras) {
      if (camera.latitude == null) continue;
      const state = stateOf(camera);
      const marker = L.circleMarker([camera.latitude, camera.longitude], {
        radius: 9, weight: 2, color: '#fff', fillColor: COLORS[state] || COLORS.unknown, fillOpacity: 1,
        className: `pin pin-${state}`,
      }).bindTooltip(camera.name).bindPopup(() => popup(camera, stateOf(camera)));
      marker.addTo(map);
      markers.set(camera.id, marker);
      points.push([camera.latitude, camera.longitude]);
    }
    if (fit) {
      if (points.length) map.fitBounds(L.latLngBounds(points).pad(0.25), { maxZoom: 17 });
      else map.setView(settings.center || [10.7769, 106.7009], settings.zoom || 13);
    }
    const shown = new Set(cameras.map((c) => c.id));
    for (const li of document.querySelectorAll('#camera-list li[data-camera-id]')) {
      li.hidden = !shown.has(Number(li.dataset.cameraId));
    }
  }

  async function load() {
    const area = filter.value;
    cameras = await api(`/api/cameras${area ? `?area_id=${area}` : ''}`);
    draw(true);
  }
  filter.onchange = load;
  await load();
  watchStates((fresh) => {
    states.clear();
    for (const [k, v] of fresh) states.set(k, v);
    for (const camera of cameras) {
      const m = markers.get(camera.id);
      const state = stateOf(camera);
      if (m) {
        m.setStyle({ fillColor: COLORS[state] || COLORS.unknown });
        const node = m.getElement();
        if (node) node.setAttribute('class', `pin pin-${state} leaflet-interactive`);
      }
      const badge = document.querySelector(`[data-state-of="${camera.id}"]`);
      if (badge) { badge.className = `state state-${state}`; badge.textContent = stateLabel(state); }
    }
  });
  window.wardeyeMap = { map, markers };
}

main().catch((e) => { document.getElementById('map-note').textContent = `${t('error')}: ${e.message}`; });
