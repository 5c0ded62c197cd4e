// A household owner's cameras: choose or withdraw what each one shares (at once: open viewers
// are cut off), see the footage kept for a case, see everyone who looked, share a new camera.
import { api, el, formatDateTime, t } from './common.js';

const message = document.getElementById('my-message');
const say = (text, bad = false) => { message.textContent = text; message.hidden = false; message.classList.toggle('error', bad); };
const send = (path, body) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function fill(section) {
  const id = section.dataset.cameraId;
  const [locks, access] = await Promise.all([api(`/api/my/cameras/${id}/locks`), api(`/api/my/cameras/${id}/access`)]);
  const lockList = section.querySelector('.f-locks');
  lockList.replaceChildren(...(locks.length ? locks.map((l) => el('li', {
    text: `${formatDateTime(Date.parse(l.start))} – ${formatDateTime(Date.parse(l.end))} · ${l.case_ref ?? ''} ${l.reason}`,
  })) : [el('li', { text: t('my_no_locks') })]));
  section.querySelector('.f-access tbody').replaceChildren(...access.entries.map((e) => el('tr', {},
    el('td', { 'data-label': t('time'), text: formatDateTime(Date.parse(e.at)) }),
    el('td', { 'data-label': t('username'), text: `${e.username ?? '–'} (${t(`role_${e.role}`)})` }),
    el('td', { 'data-label': t('audit_action'), text: t(`audit_action_${e.action}`) }),
    el('td', { 'data-label': t('audit_reason'), text: e.reason ?? '' }))));
}

for (const select of document.querySelectorAll('.f-tier')) {
  select.addEventListener('change', async () => {
    try {
      await send(`/api/cameras/${select.dataset.cameraId}/consent`, { consent_tier: select.value });
      say(t('my_tier_saved'));
    } catch (e) { say(e.message, true); }
  });
}

const form = document.getElementById('register-form');
document.getElementById('register').onclick = () => { form.hidden = false; form.name.focus(); };
document.getElementById('register-cancel').onclick = () => { form.hidden = true; };
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = {
    name: form.name.value, area_id: Number(form.area_id.value), latitude: Number(form.latitude.value),
    longitude: Number(form.longitude.value), consent_tier: form.consent_tier.value,
    main_url: form.main_url.value.trim() || null,
  };
  try { await send('/api/my/cameras', body); location.reload(); } catch (e) { say(e.message, true); }
});

const cameraName = (id) => document.querySelector(`.my-camera[data-camera-id="${id}"] h2`)?.firstChild?.textContent?.trim() ?? `#${id}`;

async function requests() {
  const list = document.getElementById('request-list');
  const all = await api('/api/my/footage-requests');
  if (!all.length) return;
  list.replaceChildren(...all.map((r) => {
    const item = el('li', { 'data-request-id': r.id },
      el('strong', { text: cameraName(r.camera_id) }),
      ` · ${formatDateTime(Date.parse(r.start))} – ${formatDateTime(Date.parse(r.end))}`,
      el('div', { text: `${t('audit_reason')}: ${r.reason}${r.case_ref ? ` (${r.case_ref})` : ''}` }),
      el('div', { class: 'muted', text: t(`request_${r.status}`) }));
    if (r.status === 'pending') {
      const answer = (accept) => async () => {
        try {
          await send(`/api/my/footage-requests/${r.id}/answer`, { accept, comment: null });
          say(t('saved'));
          await requests();
        } catch (e) { say(e.message, true); }
      };
      item.append(el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'small', text: t('request_accept'), onclick: answer(true) }),
        el('button', { type: 'button', class: 'small secondary', text: t('request_refuse'), onclick: answer(false) })));
    }
    return item;
  }));
}

Promise.all([...[...document.querySelectorAll('.my-camera')].map(fill), requests()])
  .then(() => { document.body.dataset.myLoaded = '1'; })
  .catch((e) => say(e.message, true));
