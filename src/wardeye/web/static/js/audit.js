// Audit page: search the audit trail (GET /api/audit) by user, camera, case, action, result and
// time, newest first, "load more" pages by seq; the same filters give the CSV export link. The
// filters live in the address so a search can be shared or reloaded. Times are typed and shown
// in the viewer's zone (dd/mm/yyyy HH:MM) and travel as UTC.
import { api, client, el, formatDateTime, iso, parseLocal, t } from './common.js';

const PAGE = 100;
const form = document.getElementById('audit-filters');
const rows = document.getElementById('audit-rows');
const table = document.getElementById('audit-table');
const empty = document.getElementById('audit-empty');
const failure = document.getElementById('audit-error');
const more = document.getElementById('audit-more');
const exportLink = document.getElementById('audit-export');
const cameraNames = client.camera_names || {};
const FIELDS = ['user', 'camera', 'case', 'action', 'result', 'from_date', 'from_time', 'to_date', 'to_time'];
let cursor = null;
let generation = 0; // a newer search makes older answers stale

function fromAddress() {
  const params = new URLSearchParams(location.search);
  for (const name of FIELDS) {
    const field = form.elements.namedItem(name);
    if (field && params.has(name)) field.value = params.get(name);
    if (field && field.tagName === 'SELECT' && field.value !== (params.get(name) || '')) field.value = '';
  }
}

function instant(dateName, timeName) {
  const date = form.elements.namedItem(dateName).value.trim();
  const time = form.elements.namedItem(timeName).value.trim();
  if (!date && !time) return undefined;
  const ms = parseLocal(date, time || '00:00');
  return ms == null ? null : iso(ms);
}

/** The API's query for the form, or null (and a message) when a time is not understood. */
function query() {
  const value = (name) => form.elements.namedItem(name).value.trim();
  const q = new URLSearchParams();
  if (value('user')) q.set('username', value('user'));
  if (value('camera')) q.set('camera_id', value('camera'));
  if (value('case')) q.set('case_ref', value('case'));
  if (value('action')) q.set('action', value('action'));
  if (value('result')) q.set('result', value('result'));
  const since = instant('from_date', 'from_time');
  const until = instant('to_date', 'to_time');
  if (since === null || until === null) return null;
  if (since) q.set('since', since);
  if (until) q.set('until', until);
  return q;
}

const cameraText = (id) => (id == null ? '–' : cameraNames[String(id)] ?? `#${id}`);
const actionText = (action) => t(`audit_action_${action}`);
const resultText = (result) => t(`audit_result_${result}`);

function who(entry) {
  if (!entry.username) return el('span', { class: 'muted', text: t('audit_system') });
  const cell = el('span', { text: entry.username });
  const sub = entry.username.startsWith('cli:') ? t('audit_by_cli') : entry.role;
  if (sub) cell.append(el('span', { class: 'sub muted', text: sub }));
  return cell;
}

function what(entry) {
  const parts = [];
  if (entry.object_type && entry.object_type !== 'camera') {
    parts.push(`${entry.object_type}${entry.object_id ? ` ${entry.object_id}` : ''}`);
  }
  if (entry.case_ref) parts.push(`${t('audit_case')}: ${entry.case_ref}`);
  const cell = el('span', { text: parts.join(' · ') || (entry.start ? '' : '–') });
  if (entry.start) {
    const end = entry.end ? ` – ${formatDateTime(Date.parse(entry.end))}` : '';
    cell.append(el('span', { class: 'sub', text: `${t('audit_footage')}: ${formatDateTime(Date.parse(entry.start))}${end}` }));
  }
  return cell;
}

function row(entry) {
  const cell = (label, ...content) => el('td', { 'data-label': label }, ...content);
  return el('tr', { 'data-seq': String(entry.seq) },
    cell(t('audit_time'), formatDateTime(Date.parse(entry.at))),
    cell(t('audit_user'), who(entry)),
    cell(t('audit_action'), actionText(entry.action)),
    cell(t('camera'), cameraText(entry.camera_id)),
    cell(t('audit_object'), what(entry)),
    cell(t('audit_reason'), entry.reason || '–'),
    cell(t('audit_result'), el('span', { class: `r-${entry.result}`, text: resultText(entry.result) })));
}

async function load(q, append) {
  const mine = ++generation;
  const page = new URLSearchParams(q);
  page.set('limit', String(PAGE));
  if (append && cursor != null) page.set('before_seq', String(cursor));
  table.setAttribute('aria-busy', 'true');
  more.disabled = true;
  try {
    const answer = await api(`/api/audit?${page}`);
    if (mine !== generation) return;
    if (!append) rows.replaceChildren();
    rows.append(...answer.entries.map(row));
    cursor = answer.next_before_seq;
    more.hidden = cursor == null;
    empty.hidden = rows.children.length > 0;
    failure.hidden = true;
  } catch (error) {
    if (mine !== generation) return;
    failure.textContent = error.message;
    failure.hidden = false;
  } finally {
    if (mine === generation) {
      table.setAttribute('aria-busy', 'false');
      more.disabled = false;
    }
  }
}

function search(event) {
  event?.preventDefault();
  const q = query();
  if (q === null) {
    failure.textContent = t('audit_bad_time');
    failure.hidden = false;
    return;
  }
  const address = new URLSearchParams();
  for (const name of FIELDS) {
    const v = form.elements.namedItem(name).value.trim();
    if (v) address.set(name, v);
  }
  history.replaceState(null, '', address.toString() ? `?${address}` : location.pathname);
  exportLink.href = `/api/audit.csv${q.toString() ? `?${q}` : ''}`;
  cursor = null;
  load(q, false);
}

form.addEventListener('submit', search);
for (const select of form.querySelectorAll('select')) select.addEventListener('change', search);
more.addEventListener('click', () => { const q = query(); if (q) load(q, true); });
fromAddress();
search();
