// Live page: a grid of cameras on their sub streams (only visible tiles play), or one camera on
// its main stream with ?camera=ID.
import { api, el, t } from './common.js';
import { LivePlayer } from './live-player.js';

const params = new URLSearchParams(location.search);
const grid = document.getElementById('grid');
const players = new Map();
window.wardeyePlayers = players; // for tests and the latency bench

function tile(camera, stream, single) {
  const box = el('div', { class: 'tile', 'data-camera-id': camera.id });
  const player = new LivePlayer(box, { cameraId: camera.id, stream, label: camera.name });
  players.set(camera.id, player);
  if (!single) {
    box.append(el('a', { class: 'tile-link', href: `/live?camera=${camera.id}`, 'aria-label': camera.name }));
  }
  return { box, player };
}

async function showSingle(cameraId) {
  const camera = await api(`/api/cameras/${cameraId}`);
  document.getElementById('grid-controls').hidden = true;
  document.getElementById('single-controls').hidden = false;
  document.getElementById('live-title').textContent = camera.name;
  document.getElementById('to-playback').href = `/playback?cameras=${camera.id}`;
  grid.className = 'grid grid-1 single';
  const { box, player } = tile(camera, params.get('stream') || 'main', true);
  grid.append(box);
  player.start();
  document.getElementById('fullscreen').onclick = () => box.requestFullscreen?.();
}

async function showGrid() {
  const cameras = (await api('/api/cameras?enabled=true')).filter((c) => c.may_live);
  const sizeSelect = document.getElementById('grid-size');
  const saved = localStorage.getItem('wardeye.grid') || (matchMedia('(max-width: 600px)').matches ? '4' : '9');
  sizeSelect.value = params.get('size') || saved;
  let pageIndex = 0;
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const player = players.get(Number(entry.target.dataset.cameraId));
      if (!player) continue;
      if (entry.isIntersecting) player.start(); else player.stop();
    }
  }, { threshold: 0.05 });

  function render() {
    const size = Number(sizeSelect.value);
    const pages = Math.max(1, Math.ceil(cameras.length / size));
    pageIndex = Math.min(pageIndex, pages - 1);
    for (const p of players.values()) p.stop();
    players.clear();
    observer.disconnect();
    grid.replaceChildren();
    grid.className = `grid grid-${size}`;
    if (!cameras.length) grid.append(el('p', { text: t('no_cameras') }));
    for (const camera of cameras.slice(pageIndex * size, (pageIndex + 1) * size)) {
      const { box } = tile(camera, 'sub', false);
      grid.append(box);
      observer.observe(box);
    }
    document.getElementById('page-label').textContent = `${t('page')} ${pageIndex + 1}/${pages}`;
    document.getElementById('page-prev').disabled = pageIndex === 0;
    document.getElementById('page-next').disabled = pageIndex >= pages - 1;
  }
  sizeSelect.onchange = () => { localStorage.setItem('wardeye.grid', sizeSelect.value); pageIndex = 0; render(); };
  resume = render; // only the tiles in view start again (IntersectionObserver)
  document.getElementById('page-prev').onclick = () => { pageIndex -= 1; render(); };
  document.getElementById('page-next').onclick = () => { pageIndex += 1; render(); };
  render();
}

// A hidden page (phone locked, other tab) closes its sockets; coming back reopens them.
let resume = () => { for (const p of players.values()) p.start(); };
document.addEventListener('visibilitychange', () => {
  if (document.hidden) for (const p of players.values()) p.stop();
  else resume();
});

const single = params.get('camera');
(single ? showSingle(Number(single)) : showGrid()).catch((e) => {
  grid.replaceChildren(el('p', { class: 'error', text: `${t('error')}: ${e.message}` }));
});
