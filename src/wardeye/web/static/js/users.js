// Users and roles, for admins: create, change role and areas, disable, reset the password,
// sign the user out everywhere, lift a sign-in lockout. Every change goes through the API,
// which checks the admin's own areas and writes the audit.
import { api, client, el, t } from './common.js';

const table = document.querySelector('#users-table tbody');
const form = document.getElementById('user-form');
const message = document.getElementById('users-message');
const areaNames = new Map(client.areas.map((a) => [a.id, a.path.join(' › ')]));
let editing = null;

function say(text, bad = false) {
  message.textContent = text;
  message.hidden = false;
  message.classList.toggle('error', bad);
}

const send = (path, method, body) => api(path, {
  method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
});

function button(label, onclick, cls = 'small secondary') {
  return el('button', { type: 'button', class: cls, text: label, onclick });
}

function row(user) {
  const areas = user.area_ids.length ? user.area_ids.map((id) => areaNames.get(id) ?? `#${id}`).join(', ')
    : (user.role === 'owner' ? t('user_own_cameras') : t('all_areas'));
  const actions = el('td', { class: 'actions' },
    button(t('edit'), () => openForm(user)),
    button(user.active ? t('user_disable') : t('user_enable'), () => change(user, { active: !user.active })),
    button(t('user_reset_password'), () => resetPassword(user)),
    button(t('user_sign_out'), () => act(send(`/api/users/${user.id}/sessions`, 'DELETE'), t('user_signed_out'))),
    button(t('user_unlock'), () => act(send(`/api/users/${user.id}/unlock`, 'POST'), t('user_unlocked'))),
  );
  return el('tr', { 'data-user-id': user.id },
    el('td', { 'data-label': t('username'), text: user.username }),
    el('td', { 'data-label': t('display_name'), text: user.display_name || '–' }),
    el('td', { 'data-label': t('role'), text: t(`role_${user.role}`) }),
    el('td', { 'data-label': t('user_areas'), text: areas }),
    el('td', { 'data-label': t('status'), text: user.active ? t('enabled') : t('disabled') }),
    actions);
}

async function act(promise, done) {
  try { await promise; say(done); await load(); } catch (e) { say(e.message, true); }
}

async function change(user, body) { await act(send(`/api/users/${user.id}`, 'PATCH', body), t('saved')); }

async function resetPassword(user) {
  const password = prompt(`${t('user_new_password')} (${user.username})`);
  if (password) await act(send(`/api/users/${user.id}/password`, 'POST', { password }), t('saved'));
}

function openForm(user) {
  editing = user;
  form.hidden = false;
  form.reset();
  document.getElementById('user-form-title').textContent = user ? user.username : t('user_new');
  form.username.disabled = Boolean(user);
  form.querySelector('.f-password').hidden = Boolean(user);
  form.password.required = !user;
  if (user) {
    form.username.value = user.username;
    form.display_name.value = user.display_name;
    form.role.value = user.role;
    for (const box of form.querySelectorAll('input[name="area_ids"]')) box.checked = user.area_ids.includes(Number(box.value));
  }
  form.username.focus();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const areaIds = [...form.querySelectorAll('input[name="area_ids"]:checked')].map((b) => Number(b.value));
  const body = { display_name: form.display_name.value, role: form.role.value, area_ids: areaIds };
  const done = editing ? send(`/api/users/${editing.id}`, 'PATCH', body)
    : send('/api/users', 'POST', { ...body, username: form.username.value, password: form.password.value });
  await act(done, t('saved'));
  if (!message.classList.contains('error')) form.hidden = true;
});
document.getElementById('user-cancel').onclick = () => { form.hidden = true; };
document.getElementById('new-user').onclick = () => openForm(null);

async function load() {
  const users = await api('/api/users');
  table.replaceChildren(...users.map(row));
  document.body.dataset.usersLoaded = String(users.length);
}
load().catch((e) => say(e.message, true));
