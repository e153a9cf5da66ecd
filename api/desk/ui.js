// Small DOM helpers: elements, labelled fields, errors beside their field, dates.

/** h('button', { type: 'button', onclick }, 'Save') */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value') el.value = value;
    else if (key === 'checked') el.checked = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

let counter = 0;
export const uid = (prefix = 'f') => `${prefix}-${++counter}`;

/** A labelled control; `name` is the GraphQL field its errors name. */
export function field(label, control, { hint, name } = {}) {
  const id = control.id || uid();
  control.id = id;
  if (name) control.name = name;
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', describedBy);
  const wrap = control.type === 'checkbox'
    ? h('div', { class: 'field check' }, control, h('label', { for: id }, label))
    : h('div', { class: 'field' }, h('label', { for: id }, label), control);
  if (hint) wrap.append(h('p', { class: 'hint', id: hintId }, hint));
  wrap.append(h('p', { class: 'error', id: errorId, hidden: true }));
  wrap.dataset.field = name || '';
  return wrap;
}

export const input = (attrs = {}) => h('input', { type: 'text', ...attrs });
export const textarea = (attrs = {}) => h('textarea', { rows: 4, ...attrs });
export function select(options, attrs = {}) {
  return h('select', attrs, options.map(([value, label]) => h('option', { value }, label)));
}

/** Clears the errors a form shows. */
export function clearErrors(root) {
  for (const p of root.querySelectorAll('.error')) { p.hidden = true; p.textContent = ''; }
  for (const c of root.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
  const alert = root.querySelector('.form-alert');
  if (alert) { alert.hidden = true; alert.textContent = ''; }
}

const WORDS = {
  UNAUTHENTICATED: 'You are signed out, or your session has ended: sign in again.',
  FORBIDDEN: 'Your role does not allow this.',
  NOT_FOUND: 'This item no longer exists.',
  CONFLICT: 'Someone else changed this first.',
  RATE_LIMITED: 'Too many attempts: wait a minute and try again.',
  INTERNAL_SERVER_ERROR: 'Something went wrong in Quire: try again, or ask an admin to look at its log.',
  QUERY_TOO_COMPLEX: 'That asked for too much at once.',
};

/** What an error says to a person: the server's own words for bad input, never a code. */
export function words(error) {
  if (error.code === 'BAD_USER_INPUT' || error.code === 'NETWORK') return sentence(error.message);
  return WORDS[error.code] || error.message || 'Something went wrong.';
}

const sentence = (text) => (text ? `${text[0].toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? '' : '.'}` : text);

/** Shows an error beside the field it concerns, or at the top of the form. */
export function showError(root, error) {
  clearErrors(root);
  const fieldName = error.field;
  const wrap = fieldName && root.querySelector(`[data-field="${CSS.escape(fieldName)}"]`);
  if (wrap) {
    const p = wrap.querySelector('.error');
    p.textContent = words(error);
    p.hidden = false;
    const control = wrap.querySelector('input, textarea, select');
    if (control) { control.setAttribute('aria-invalid', 'true'); control.focus(); }
    return;
  }
  let alert = root.querySelector('.form-alert');
  if (!alert) { alert = h('p', { class: 'form-alert', role: 'alert' }); root.prepend(alert); }
  alert.textContent = words(error);
  alert.hidden = false;
}

let toastTimer;
/** A short message read out by screen readers. */
export function say(message) {
  const status = document.getElementById('status');
  status.textContent = message;
  status.classList.add('shown');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => status.classList.remove('shown'), 4000);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const when = (iso) => (iso ? dateTime.format(new Date(iso)) : '—');
export const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** An ISO instant as the value of a `datetime-local` input, in the editor's time zone. */
export function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value (the editor's time zone) as a UTC instant. */
export const fromLocalInput = (value) => (value ? new Date(value).toISOString() : null);

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export const STATUS = { DRAFT: 'Draft', PUBLISHED: 'Published', SCHEDULED: 'Scheduled' };
export const statusBadge = (status) => h('span', { class: `badge ${String(status).toLowerCase()}` }, STATUS[status] || status);

/** A page's heading, focused so screen readers announce the new screen. */
export function heading(text, level = 1) {
  return h(`h${level}`, { tabindex: '-1', class: level === 1 ? 'screen-title' : null }, text);
}

export function table(headers, rows, caption) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length }, 'Nothing here yet.')))));
}

/** Resolves when a debounced input has been still for `ms`. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

/** Copies text, falling back to selecting it for the person to copy. */
export async function copy(text, fallbackInput) {
  try { await navigator.clipboard.writeText(text); return true; } catch {
    if (fallbackInput) { fallbackInput.hidden = false; fallbackInput.value = text; fallbackInput.select(); }
    return false;
  }
}
