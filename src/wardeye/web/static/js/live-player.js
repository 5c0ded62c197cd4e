// Live video of one camera: fMP4 fragments over a WebSocket into Media Source Extensions,
// kept close to the live edge (latency under a second). Browsers without MSE for the stream's
// codec get an MJPEG picture stream instead. The server shares one camera connection between
// all viewers, so opening many players never loads the camera.
import { t } from './common.js';

const MediaSourceClass = window.ManagedMediaSource || window.MediaSource;
const MAX_LAG = 1.2;       // seconds behind the newest frame before jumping to the edge
const CATCH_UP_LAG = 0.25; // above this, play slightly faster to catch up smoothly
const KEEP_SECONDS = 12;   // buffered video kept behind the playhead (phones have little memory)

export function supportsMse(mime) {
  return Boolean(MediaSourceClass) && MediaSourceClass.isTypeSupported(mime);
}

export class LivePlayer {
  constructor(container, { cameraId, stream = 'sub', label = '' }) {
    this.cameraId = cameraId;
    this.stream = stream;
    this.container = container;
    this.video = document.createElement('video');
    Object.assign(this.video, { muted: true, autoplay: true, playsInline: true });
    this.video.disableRemotePlayback = true;
    this.video.setAttribute('muted', '');
    this.video.setAttribute('playsinline', '');
    this.video.dataset.cameraId = cameraId;
    this.overlay = document.createElement('div');
    this.overlay.className = 'overlay';
    this.caption = document.createElement('div');
    this.caption.className = 'caption';
    this.caption.textContent = label;
    container.append(this.video, this.overlay, this.caption);
    this.queue = [];
    this.stopped = true;
    this.retry = 1000;
    this.mode = 'mse';
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.ws) { this.ws.onclose = null; this.ws.close(); this.ws = null; }
    this.resetMedia();
    if (this.img) { this.img.src = ''; this.img.remove(); this.img = null; }
  }

  setStatus(text, kind = '') {
    this.overlay.textContent = text;
    this.overlay.className = `overlay ${kind}`;
    this.overlay.hidden = !text;
    this.container.dataset.state = kind || 'playing';
  }

  connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}/api/live/${this.cameraId}/ws?stream=${this.stream}`;
    this.setStatus(t('connecting'), 'connecting');
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (event) => this.onMessage(event.data);
    ws.onopen = () => { this.retry = 1000; };
    ws.onclose = (event) => {
      this.ws = null;
      if (this.stopped || this.mode !== 'mse') return;
      if (event.code === 4401) { location.href = '/login'; return; }
      if (event.code === 4403) { this.setStatus(event.reason || t('stream_withdrawn'), 'offline'); return; }
      this.setStatus(event.code === 4404 ? event.reason : t('connecting'), 'offline');
      this.retryTimer = setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 15000);
    };
    this.ws = ws;
  }

  onMessage(data) {
    if (typeof data === 'string') {
      const message = JSON.parse(data);
      if (message.type === 'init') this.onInit(message);
      else if (message.type === 'status') {
        this.setStatus(message.state === 'offline' ? t('camera_offline') : message.reason, 'offline');
        if (message.state === 'unsupported') this.fallback();
      }
      return;
    }
    if (this.mode !== 'mse') return;
    this.queue.push(new Uint8Array(data));
    this.pump();
  }

  onInit(message) {
    this.info = message;
    if (!supportsMse(message.mime)) { this.fallback(); return; }
    this.resetMedia();
    this.mediaSource = new MediaSourceClass();
    this.video.src = URL.createObjectURL(this.mediaSource);
    this.mediaSource.addEventListener('sourceopen', () => {
      this.buffer = this.mediaSource.addSourceBuffer(message.mime);
      this.buffer.mode = 'segments';
      this.buffer.addEventListener('updateend', () => { this.chaseEdge(); this.pump(); });
      this.buffer.addEventListener('error', () => this.setStatus(t('error'), 'offline'));
      this.pump();
    }, { once: true });
  }

  resetMedia() {
    this.queue = [];
    this.buffer = null;
    if (this.mediaSource) {
      URL.revokeObjectURL(this.video.src);
      this.video.removeAttribute('src');
      this.video.load();
      this.mediaSource = null;
    }
  }

  pump() {
    const sb = this.buffer;
    if (!sb || sb.updating || !this.queue.length || this.mediaSource?.readyState !== 'open') return;
    const chunks = this.queue.splice(0);
    const size = chunks.reduce((n, c) => n + c.byteLength, 0);
    const joined = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) { joined.set(c, at); at += c.byteLength; }
    try {
      sb.appendBuffer(joined);
    } catch (error) {
      if (error.name === 'QuotaExceededError') { this.trim(true); this.queue.unshift(joined); }
      else this.setStatus(`${t('error')}: ${error.message}`, 'offline');
    }
  }

  /** Stay near the newest frame: jump when far behind, speed up a little when slightly so. */
  chaseEdge() {
    const v = this.video;
    const ranges = v.buffered;
    if (!ranges.length) return;
    const last = ranges.length - 1;
    const end = ranges.end(last);
    if (v.currentTime < ranges.start(last) || end - v.currentTime > MAX_LAG) {
      v.currentTime = Math.max(ranges.start(last), end - 0.15);
    }
    const lag = end - v.currentTime;
    v.playbackRate = lag > CATCH_UP_LAG ? 1.15 : 1.0;
    if (v.paused) v.play().catch(() => {});
    if (this.container.dataset.state !== 'playing' && v.readyState >= 2) this.setStatus('');
    this.trim(false);
  }

  trim(force) {
    const sb = this.buffer;
    const ranges = this.video.buffered;
    if (!sb || sb.updating || !ranges.length) return;
    const behind = this.video.currentTime - ranges.start(0);
    if (behind > KEEP_SECONDS * 2 || (force && behind > 2)) {
      try { sb.remove(ranges.start(0), this.video.currentTime - (force ? 1 : KEEP_SECONDS)); } catch { /* busy */ }
    }
  }

  /** Still pictures for browsers that cannot play the stream (no MSE, or H.265). */
  fallback() {
    if (this.mode === 'mjpeg') return;
    this.mode = 'mjpeg';
    if (this.ws) { this.ws.onclose = null; this.ws.close(); this.ws = null; }
    this.resetMedia();
    this.video.hidden = true;
    this.img = document.createElement('img');
    this.img.alt = this.caption.textContent;
    this.img.className = 'mjpeg';
    this.img.src = `/api/live/${this.cameraId}/mjpeg?stream=${this.stream}`;
    this.img.onload = () => this.setStatus('');
    this.container.insertBefore(this.img, this.overlay);
    this.container.dataset.mode = 'mjpeg';
    this.setStatus(t('fallback_images'), 'connecting');
  }

  stats() {
    const v = this.video;
    const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : {};
    const r = v.buffered;
    return {
      mode: this.mode,
      currentTime: v.currentTime,
      frames: q.totalVideoFrames ?? 0,
      dropped: q.droppedVideoFrames ?? 0,
      lag: r.length ? r.end(r.length - 1) - v.currentTime : null,
      width: v.videoWidth,
      height: v.videoHeight,
    };
  }
}
