// The desk: signing in, the frame around every screen, the dashboard, the account, and the
// router that picks a screen from the address's `#/…` part.

import { gql, setToken, token, state, whenSignedOut } from './api.js';
import { h, field, input, showError, clearErrors, say, when, words, heading, statusBadge } from './ui.js';
import { TYPES, listScreen, editScreen, previewScreen, revisionsScreen, treeScreen, trashScreen, titleOf, ANY_NODE } from './content.js';
import { mediaScreen } from './media.js';

const ME = 'me { id email displayName role }';
const ROLE = { ADMIN: 'Admin', EDITOR: 'Editor', AUTHOR: 'Author' };
const app = document.getElementById('app');

// ---------------------------------------------------------------------------------------
// Signing in and out

function signInScreen(message) {
  const email = input({ type: 'email', autocomplete: 'username', required: true });
  const password = input({ type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'panel sign-in', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    performance.mark('quire:sign-in');
    try {
      const data = await gql(`mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token user { id email displayName role } } }`,
        { email: email.value, password: password.value });
      setToken(data.login.token);
      state.me = data.login.user;
      route();
    } catch (error) {
      showError(form, error.code === 'UNAUTHENTICATED' ? { code: 'BAD_USER_INPUT', field: 'password', message: 'Wrong email or password.' } : error);
    }
  } },
  h('h1', { tabindex: '-1' }, 'Sign in to the Quire desk'),
  message ? h('p', { class: 'form-alert', role: 'alert' }, message) : null,
  field('Email', email, { name: 'email' }),
  field('Password', password, { name: 'password' }),
  h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  app.replaceChildren(h('main', { id: 'main', class: 'centered' }, form));
  email.focus();
}

async function signOut() {
  try { await gql('mutation { logout }'); } catch { /* the session may have ended already */ }
  setToken(null); state.me = null; state.dirty = false;
  history.replaceState(null, '', '#/');
  signInScreen('You have signed out.');
}

// A session that ends while a form holds unsaved changes: sign in again over the form, so
// nothing is lost; then Save works as before.
whenSignedOut(() => {
  if (!state.dirty || !state.me) { state.me = null; signInScreen('Your session has ended: sign in again.'); return; }
  const email = input({ type: 'email', autocomplete: 'username', value: state.me.email });
  const password = input({ type: 'password', autocomplete: 'current-password' });
  const dialog = h('dialog', { class: 'panel', 'aria-labelledby': 'again-title' });
  const form = h('form', { novalidate: true, onsubmit: async (e) => {
    e.preventDefault(); clearErrors(form);
    try {
      const data = await gql('mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }', { email: email.value, password: password.value });
      setToken(data.login.token); dialog.close(); dialog.remove(); say('Signed in again: save your changes now.');
    } catch (error) { showError(form, error.code === 'UNAUTHENTICATED' ? { code: 'BAD_USER_INPUT', field: 'password', message: 'Wrong email or password.' } : error); }
  } }, h('h2', { id: 'again-title' }, 'Your session has ended'),
  h('p', {}, 'Sign in again to keep your unsaved changes.'),
  field('Email', email, { name: 'email' }), field('Password', password, { name: 'password' }),
  h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  dialog.append(form);
  document.body.append(dialog);
  dialog.showModal();
  password.focus();
});

// ---------------------------------------------------------------------------------------
// The frame

function frame() {
  const link = (href, label) => h('a', { href, dataset: { nav: href } }, label);
  const nav = h('nav', { class: 'main-nav', 'aria-label': 'Main' },
    h('ul', {},
      h('li', {}, link('#/', 'Dashboard')),
      Object.entries(TYPES).map(([key, t]) => h('li', {}, link(`#/c/${key}`, t.label))),
      h('li', {}, link('#/tree', 'Page tree')),
      h('li', {}, link('#/media', 'Media')),
      state.canPublish() ? h('li', {}, link('#/trash', 'Trash')) : null),
    state.isAdmin() ? h('ul', { class: 'admin-nav', 'aria-label': 'Administration' },
      h('li', {}, link('#/admin/people', 'People')),
      h('li', {}, link('#/admin/tokens', 'API tokens')),
      h('li', {}, link('#/admin/webhooks', 'Webhooks')),
      h('li', {}, link('#/admin/audit', 'Audit log')),
      h('li', {}, link('#/admin/newsletter', 'Newsletter'))) : null);
  const menu = h('button', { type: 'button', class: 'menu-toggle', 'aria-expanded': 'false', onclick: () => {
    const open = nav.classList.toggle('open');
    menu.setAttribute('aria-expanded', String(open));
  } }, 'Menu');
  const header = h('header', { class: 'top' },
    h('a', { class: 'brand', href: '#/' }, 'Quire desk'), menu,
    h('div', { class: 'who' },
      h('a', { href: '#/account' }, h('span', { class: 'name' }, state.me.displayName), ' ', h('span', { class: 'role' }, `(${ROLE[state.me.role]})`)),
      h('button', { type: 'button', onclick: signOut }, 'Sign out')));
  const main = h('main', { id: 'main', tabindex: '-1' });
  app.replaceChildren(header, h('div', { class: 'body' }, nav, main));
  return main;
}

function markCurrent(hash) {
  for (const a of app.querySelectorAll('[data-nav]')) {
    const target = a.dataset.nav;
    const current = target === '#/' ? hash === '#/' || hash === '' : hash === target || hash.startsWith(`${target}/`) || hash.startsWith(`${target}?`);
    if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  app.querySelector('.main-nav')?.classList.remove('open');
}

// ---------------------------------------------------------------------------------------
// The dashboard

async function dashboard(main) {
  main.replaceChildren(heading(`Hello, ${state.me.displayName}`), h('p', { class: 'loading' }, 'Loading…'));
  const lists = Object.entries(TYPES).map(([key, t]) => {
    const fields = `nodes { id status updatedAt publishedAt scheduledAt scheduledAction ${t.titled ? 'title' : 'quote authorName'} }`;
    return `${key}Drafts: ${t.list}(first: 5, filter: { status: [DRAFT], mine: true }, orderBy: { field: UPDATED_AT }) { ${fields} }
      ${key}Scheduled: ${t.list}(first: 5, filter: { status: [SCHEDULED] }, orderBy: { field: PUBLISHED_AT, direction: ASC }) { ${fields} }
      ${key}Published: ${t.list}(first: 5, filter: { status: [PUBLISHED] }, orderBy: { field: PUBLISHED_AT }) { ${fields} }`;
  }).join('\n');
  const activity = state.isAdmin() ? 'auditLog(first: 10) { nodes { at action actor { name } subjectType subjectId } }' : '';
  let data;
  try { data = await gql(`{ ${lists} ${activity} }`); } catch (error) { main.querySelector('.loading').textContent = words(error); return; }
  const gather = (suffix) => Object.entries(TYPES).flatMap(([key, t]) => data[`${key}${suffix}`].nodes.map((n) => ({ ...n, key, t })));
  const item = (n, time) => h('li', {}, h('a', { href: `#/c/${n.key}/${encodeURIComponent(n.id)}` }, titleOf(n)),
    h('span', { class: 'muted' }, ` · ${n.t.one} · ${time(n)}`));
  const byTime = (field, asc) => (a, b) => (asc ? 1 : -1) * (new Date(a[field]) - new Date(b[field]));
  const section = (title, items, empty) => h('section', { class: 'panel', 'aria-label': title }, h('h2', {}, title),
    items.length ? h('ul', { class: 'plain' }, items) : h('p', { class: 'muted' }, empty));
  const drafts = gather('Drafts').sort(byTime('updatedAt')).slice(0, 10).map((n) => item(n, (x) => `changed ${when(x.updatedAt)}`));
  const scheduled = gather('Scheduled').sort(byTime('scheduledAt', true)).slice(0, 10).map((n) => item(n, (x) => `publishes ${when(x.scheduledAt)}`));
  const published = gather('Published').sort(byTime('publishedAt')).slice(0, 10).map((n) => item(n, (x) => `published ${when(x.publishedAt)}`));
  const recent = [...gather('Drafts'), ...gather('Published'), ...gather('Scheduled')].sort(byTime('updatedAt')).slice(0, 10)
    .map((n) => item(n, (x) => `${statusBadge(x.status).textContent.toLowerCase()}, changed ${when(x.updatedAt)}`));
  const audit = data.auditLog ? data.auditLog.nodes.map((e) => h('li', {}, `${when(e.at)} · ${e.actor.name} · ${e.action}${e.subjectType ? ` (${e.subjectType})` : ''}`)) : null;
  performance.mark('quire:dashboard');
  main.querySelector('.loading').replaceWith(h('div', { class: 'grid' },
    section('My drafts', drafts, 'You have no drafts.'),
    section('Scheduled', scheduled, 'Nothing is scheduled.'),
    section('Published lately', published, 'Nothing published yet.'),
    audit ? section('Recent activity', audit, 'Nothing yet.') : section('Recently changed', recent, 'Nothing yet.')));
}

// ---------------------------------------------------------------------------------------
// The account: who am I, my password

function accountScreen(main) {
  const current = input({ type: 'password', autocomplete: 'current-password' });
  const next = input({ type: 'password', autocomplete: 'new-password', minlength: 10 });
  const form = h('form', { class: 'panel', onsubmit: async (e) => {
    e.preventDefault(); clearErrors(form);
    try {
      await gql('mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }', { c: current.value, n: next.value });
      current.value = ''; next.value = ''; say('Password changed. Your other sessions have ended.');
    } catch (error) { showError(form, error); }
  } }, h('h2', {}, 'Change your password'),
  field('Current password', current, { name: 'currentPassword' }),
  field('New password', next, { name: 'newPassword', hint: '10 to 200 characters.' }),
  h('button', { type: 'submit', class: 'primary' }, 'Change password'));
  main.replaceChildren(heading('Your account'),
    h('dl', { class: 'facts' }, h('dt', {}, 'Name'), h('dd', {}, state.me.displayName), h('dt', {}, 'Email'), h('dd', {}, state.me.email),
      h('dt', {}, 'Role'), h('dd', {}, ROLE[state.me.role])),
    form);
}

// ---------------------------------------------------------------------------------------
// A preview link opened by someone without a session

async function sharedPreview(previewToken) {
  const main = h('main', { id: 'main', class: 'centered wide' }, h('p', { class: 'loading' }, 'Loading the preview…'));
  app.replaceChildren(main);
  try {
    const data = await gql(`query($t: String!) { preview(token: $t) { __typename ${ANY_NODE} ... on Page { bodyHtml } ... on NewsArticle { bodyHtml summary heroImage { url alt } } ... on PressRelease { bodyHtml summary } ... on Booklet { bodyHtml summary } } }`, { t: previewToken });
    const n = data.preview;
    if (!n) { main.replaceChildren(heading('This preview link has ended')); return; }
    const body = h('div', { class: 'preview-html' });
    body.innerHTML = n.bodyHtml || ''; // sanitised by Quire
    main.replaceChildren(h('article', { class: 'preview-page' }, h('p', {}, statusBadge(n.status), ' Preview'), heading(titleOf(n)),
      n.heroImage ? h('img', { src: n.heroImage.url, alt: n.heroImage.alt || '', class: 'hero' }) : null,
      n.summary ? h('p', { class: 'lead' }, n.summary) : null, body));
  } catch (error) { main.replaceChildren(heading('This preview link does not work'), h('p', {}, words(error))); }
}

// ---------------------------------------------------------------------------------------
// The router

let shownHash = null;

async function route() {
  const hash = location.hash || '#/';
  const [path, query = ''] = hash.slice(1).split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'p' && parts[1]) { shownHash = hash; sharedPreview(parts[1]); return; }
  if (!token()) { signInScreen(); return; }
  if (!state.me) {
    try { state.me = (await gql(`{ ${ME} }`)).me; } catch { /* handled below */ }
    if (!state.me) { setToken(null); signInScreen('Sign in with your email and password.'); return; }
  }
  shownHash = hash;
  state.dirty = false;
  // Each screen gets a fresh <main>: a slower screen still loading writes into the one it
  // was given, now detached, and never over the screen that replaced it.
  const old = app.querySelector('main.desk-main');
  const main = h('main', { id: 'main', tabindex: '-1', class: 'desk-main' });
  if (old) old.replaceWith(main); else frame().replaceWith(main);
  markCurrent(hash);
  const params = new URLSearchParams(query);
  try {
    const [a, b, c] = parts;
    if (!a) await dashboard(main);
    else if (a === 'c' && TYPES[b] && !c) await listScreen(main, b, params);
    else if (a === 'c' && TYPES[b]) await editScreen(main, b, c);
    else if (a === 'preview' && TYPES[b]) await previewScreen(main, b, c);
    else if (a === 'revisions' && TYPES[b]) await revisionsScreen(main, b, c);
    else if (a === 'tree') await treeScreen(main);
    else if (a === 'media') await mediaScreen(main, params);
    else if (a === 'trash') await trashScreen(main);
    else if (a === 'account') accountScreen(main);
    else if (a === 'admin' && state.isAdmin()) {
      const admin = await import('./admin.js');
      await admin.screen(main, b, params);
    } else main.replaceChildren(heading('Not found'), h('p', {}, 'There is no such screen.'));
  } catch (error) {
    main.replaceChildren(heading('This screen could not be shown'), h('p', { role: 'alert' }, words(error)));
  }
  const title = main.querySelector('h1');
  document.title = `${title ? title.textContent : 'Quire'} · Quire desk`;
  if (title && !main.contains(document.activeElement)) title.focus({ preventScroll: true });
}

window.addEventListener('hashchange', () => {
  if (state.dirty && location.hash !== shownHash) {
    if (!window.confirm('You have unsaved changes. Leave without saving them?')) {
      history.replaceState(null, '', shownHash);
      return;
    }
    state.dirty = false;
  }
  route();
});

// The skip link moves focus; following its `#main` would be taken for a screen's address.
document.querySelector('.skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  document.getElementById('main')?.focus();
});

window.addEventListener('beforeunload', (e) => {
  if (state.dirty) { e.preventDefault(); e.returnValue = ''; }
});

route();
