// Recorded footage of one camera in a <video>: the server repackages the recorded segment that
// holds the requested instant as fMP4 (from the keyframe before it) and streams it; chunks are
// appended to Media Source Extensions as they arrive, so the picture shows within a second.
// The video's currentTime maps to wall-clock time: wall = origin + currentTime, which is what
// lets several cameras play in sync and the timeline show where each one is.
import { formatDateTime, iso, reasonHeaders, t } from './common.js';

const MediaSourceClass = window.ManagedMediaSource || window.MediaSource;
const LOOKAHEAD_SECONDS = 6;
const NEXT_PROBE_MS = 250;  // how far into the next segment "already loaded" is checked
const KEEP_BEHIND = 60;
const ORIGIN_MARGIN_MS = 12 * 3600 * 1000;

export class RecordedPlayer {
  constructor(container, { cameraId, name, stream = 'main', onState = () => {} }) {
    this.cameraId = cameraId;
    this.stream = stream;
    this.onState = onState;
    this.container = container;
    this.video = document.createElement('video');
    Object.assign(this.video, { muted: true, playsInline: true });
    this.video.disableRemotePlayback = true;
    this.video.dataset.cameraId = cameraId;
    this.overlay = document.createElement('div');
    this.overlay.className = 'overlay';
    this.overlay.hidden = true;
    this.caption = document.createElement('div');
    this.caption.className = 'caption';
    this.caption.textContent = name;
    container.append(this.video, this.overlay, this.caption);
    this.rate = 1;
    this.fps = 25;
    this.wantPlaying = false;
    this.loading = null;        // AbortController of the fetch in flight
    this.segmentEnd = null;     // wall ms where the last loaded segment ends
    this.nextStart = null;      // wall ms where the following segment starts (null: none known)
    this.idleAt = null;         // wall ms asked for that has no footage
    this.video.addEventListener('timeupdate', () => this.tick());
    this.video.addEventListener('waiting', () => this.skipGap());
  }

  // -- clock --------------------------------------------------------------------------------
  wallTime() {
    if (this.origin == null) return this.idleAt;
    if (this.idleAt != null) return this.idleAt;
    return this.origin + this.video.currentTime * 1000;
  }

  hasFootageAt(ms) {
    if (this.origin == null) return false;
    const s = (ms - this.origin) / 1000;
    const r = this.video.buffered;
    for (let i = 0; i < r.length; i += 1) if (s >= r.start(i) && s < r.end(i)) return true;
    return false;
  }

  // -- controls -----------------------------------------------------------------------------
  async seek(ms, { play = this.wantPlaying } = {}) {
    this.wantPlaying = play;
    if (this.hasFootageAt(ms)) {
      this.idleAt = null;
      this.video.currentTime = (ms - this.origin) / 1000;
      this.setOverlay('');
      this.applyPlay();
      return true;
    }
    return this.load(ms, true);
  }

  play() { this.wantPlaying = true; this.applyPlay(); }
  pause() { this.wantPlaying = false; this.video.pause(); this.onState(this); }
  setRate(rate) { this.rate = rate; this.video.playbackRate = rate; }

  step(direction) {
    this.pause();
    const ms = this.wallTime();
    if (ms != null) this.seek(ms + direction * (1000 / this.fps), { play: false });
  }

  applyPlay() {
    this.video.playbackRate = this.rate;
    if (this.wantPlaying && this.idleAt == null) this.video.play().catch(() => {});
    else this.video.pause();
    this.onState(this);
  }

  setOverlay(text, kind = '') {
    this.overlay.textContent = text;
    this.overlay.hidden = !text;
    this.overlay.className = `overlay ${kind}`;
  }

  // -- loading ------------------------------------------------------------------------------
  appendChunk(bytes) {
    return new Promise((resolve, reject) => {
      const sb = this.buffer;
      const done = () => { sb.removeEventListener('error', fail); resolve(); };
      const fail = () => { sb.removeEventListener('updateend', done); reject(new Error('append failed')); };
      sb.addEventListener('updateend', done, { once: true });
      sb.addEventListener('error', fail, { once: true });
      sb.appendBuffer(bytes);
    });
  }

  async waitIdle() {
    while (this.buffer && this.buffer.updating) {
      await new Promise((r) => this.buffer.addEventListener('updateend', r, { once: true }));
    }
  }

  /** Fetch the segment holding ``ms`` and append it; ``jump`` moves the playhead there. */
  async load(ms, jump) {
    if (this.loading) this.loading.abort();
    const controller = new AbortController();
    this.loading = controller;
    if (jump) this.setOverlay(t('loading'), 'connecting');
    try {
      const reuse = this.origin != null && ms >= this.origin && ms - this.origin < 2 * ORIGIN_MARGIN_MS;
      const originGuess = reuse ? this.origin : ms - ORIGIN_MARGIN_MS;
      const url = `/api/playback/${this.cameraId}/media?at=${encodeURIComponent(iso(ms))}`
        + `&origin=${encodeURIComponent(iso(originGuess))}&stream=${this.stream}`;
      const get = (ask) => fetch(url, { signal: controller.signal, credentials: 'same-origin', headers: reasonHeaders(ask) });
      let response = await get(false);
      if (response.status === 428) response = await get(true);
      if (response.status === 428) {
        this.setOverlay(t('reason_required'), 'error');
        return false;
      }
      if (response.status === 404) {
        const body = await response.json();
        if (jump) this.noFootage(ms, body.next ? Date.parse(body.next) : null);
        else this.nextStart = body.next ? Date.parse(body.next) : null;
        return false;
      }
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      const mime = response.headers.get('X-Mime');
      if (controller.signal.aborted) return false;
      if (!this.mediaSource || this.origin !== originGuess || this.mime !== mime) {
        // The server stamped times from originGuess: the SourceBuffer must use the same origin.
        await this.resetTo(mime, originGuess);
      }
      await this.waitIdle();
      if (controller.signal.aborted) return false;
      if (jump) this.buffer.abort(); // drop any half-parsed box of an aborted earlier fetch
      this.fps = Number(response.headers.get('X-Fps')) || this.fps;
      this.segmentEnd = Date.parse(response.headers.get('X-Segment-End'));
      const next = response.headers.get('X-Next-Start');
      this.nextStart = next ? Date.parse(next) : null;
      const reader = response.body.getReader();
      let positioned = !jump;
      for (;;) {
        const { value, done } = await reader.read();
        if (done || controller.signal.aborted) break;
        await this.appendChunk(value);
        if (controller.signal.aborted) break; // a newer seek owns the playhead now
        if (!positioned && this.hasFootageAt(ms)) {
          positioned = true;
          this.idleAt = null;
          this.video.currentTime = (ms - this.origin) / 1000;
          this.setOverlay('');
          this.applyPlay();
        }
      }
      this.trim();
      return true;
    } catch (error) {
      if (error.name !== 'AbortError') this.setOverlay(`${t('error')}: ${error.message}`, 'offline');
      return false;
    } finally {
      if (this.loading === controller) this.loading = null;
    }
  }

  async resetTo(mime, origin) {
    if (!MediaSourceClass || !MediaSourceClass.isTypeSupported(mime)) throw new Error(t('no_video_support'));
    this.origin = origin;
    this.mime = mime;
    this.mediaSource = new MediaSourceClass();
    if (this.video.src) URL.revokeObjectURL(this.video.src);
    this.video.src = URL.createObjectURL(this.mediaSource);
    await new Promise((resolve) => this.mediaSource.addEventListener('sourceopen', resolve, { once: true }));
    this.buffer = this.mediaSource.addSourceBuffer(mime);
    this.buffer.mode = 'segments';
  }

  noFootage(ms, next) {
    this.idleAt = ms;
    this.nextStart = next;
    this.video.pause();
    const hint = next ? `\n${t('jump_next')}: ${formatDateTime(next)}` : '';
    this.setOverlay(`${t('no_footage')}${hint}`, 'offline');
    this.onState(this);
  }

  /** Keep loading ahead while playing, and follow the clock through gaps. */
  tick() {
    const now = this.wallTime();
    if (now == null || this.loading) return;
    const ahead = (this.segmentEnd ?? 0) - now;
    // Ask for a moment just inside the next segment: header times are rounded to the
    // millisecond, and the exact start could still fall in the previous segment.
    const next = this.nextStart == null ? null : this.nextStart + 2;
    // Loaded already? Look a little into it: a segment's wall-clock start can fall a few ms
    // inside the previous segment's media (capture-time corrections), which would otherwise
    // look like the next segment is there and it would never be asked for.
    if (next != null && ahead < LOOKAHEAD_SECONDS * 1000 * Math.max(1, this.rate)
        && !this.hasFootageAt(next + NEXT_PROBE_MS)) {
      this.load(next, false);
    }
    this.skipGap();
  }

  /** At the end of a buffered range with more footage later: jump over the gap. */
  skipGap() {
    const v = this.video;
    const r = v.buffered;
    for (let i = 0; i < r.length - 1; i += 1) {
      if (v.currentTime >= r.end(i) - 0.08 && v.currentTime < r.start(i + 1)) {
        v.currentTime = r.start(i + 1);
        return;
      }
    }
  }

  trim() {
    const r = this.video.buffered;
    if (!this.buffer || this.buffer.updating || !r.length) return;
    const behind = this.video.currentTime - KEEP_BEHIND;
    if (r.start(0) < behind) {
      try { this.buffer.remove(r.start(0), behind); } catch { /* busy */ }
    }
  }

  stats() {
    const q = this.video.getVideoPlaybackQuality ? this.video.getVideoPlaybackQuality() : {};
    return { wall: this.wallTime(), currentTime: this.video.currentTime,
      frames: q.totalVideoFrames ?? 0, paused: this.video.paused, idle: this.idleAt != null };
  }

  destroy() {
    if (this.loading) this.loading.abort();
    if (this.video.src) URL.revokeObjectURL(this.video.src);
    this.container.remove();
  }
}
