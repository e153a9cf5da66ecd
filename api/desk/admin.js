// Admins' screens: people, API tokens, webhooks and their deliveries, the audit log, and
// newsletter subscribers with their CSV export. Loaded only when an admin opens one.

import { gql, download } from './api.js';
import { h, field, input, select, showError, clearErrors, say, when, words, heading, table } from './ui.js';

const ROLES = [['AUTHOR', 'Author'], ['EDITOR', 'Editor'], ['ADMIN', 'Admin']];
const USER = 'id email displayName role active createdAt';

export async function screen(main, which, params) {
  const screens = { people, tokens, webhooks, audit, newsletter };
  if (!screens[which]) { main.replaceChildren(heading('Not found')); return; }
  await screens[which](main, params);
}

async function people(main) {
  const data = await gql(`{ users { ${USER} } }`);
  const rows = data.users.map((u) => {
    const role = select(ROLES, { 'aria-label': `Role of ${u.displayName}` });
    role.value = u.role;
    role.addEventListener('change', async () => {
      try { await gql('mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }', { id: u.id, input: { role: role.value } }); say(`${u.displayName} is now ${role.selectedOptions[0].textContent.toLowerCase()}.`); } catch (error) { role.value = u.role; say(words(error)); }
    });
    return h('tr', {}, h('th', { scope: 'row', class: 'title-cell' }, u.displayName, h('div', { class: 'muted' }, u.email)),
      h('td', {}, u.active ? role : 'Deactivated'), h('td', {}, when(u.createdAt)),
      h('td', {}, u.active ? h('button', { type: 'button', class: 'danger', onclick: async () => {
        try { await gql('mutation($id: ID!) { deactivateUser(id: $id) { id } }', { id: u.id }); say(`${u.displayName} can no longer sign in.`); people(main); } catch (error) { say(words(error)); }
      } }, `Deactivate ${u.displayName}`) : null));
  });
  const email = input({ type: 'email', autocomplete: 'off' });
  const name = input({ autocomplete: 'off' });
  const password = input({ type: 'password', autocomplete: 'new-password' });
  const role = select(ROLES);
  const form = h('form', { class: 'panel', onsubmit: async (e) => {
    e.preventDefault(); clearErrors(form);
    try {
      await gql(`mutation($input: CreateUserInput!) { createUser(input: $input) { ${USER} } }`,
        { input: { email: email.value, displayName: name.value || null, password: password.value, role: role.value } });
      say(`Created ${email.value}.`); people(main);
    } catch (error) { showError(form, error); }
  } }, h('h2', {}, 'Add a person'),
  field('Email', email, { name: 'email' }), field('Display name', name, { name: 'displayName' }),
  field('Password', password, { name: 'password', hint: '10 to 200 characters; they can change it after signing in.' }),
  field('Role', role, { name: 'role' }), h('button', { type: 'submit', class: 'primary' }, 'Create user'));
  main.replaceChildren(heading('People'), table(['Person', 'Role', 'Since', ''], rows, 'People'), form);
}

async function tokens(main, _params, fresh) {
  const data = await gql('{ apiTokens { id name role createdAt lastUsedAt revokedAt } }');
  const rows = data.apiTokens.map((t) => h('tr', {}, h('th', { scope: 'row', class: 'title-cell' }, t.name),
    h('td', {}, t.role.toLowerCase()), h('td', {}, when(t.createdAt)), h('td', {}, t.revokedAt ? `Revoked ${when(t.revokedAt)}` : when(t.lastUsedAt)),
    h('td', {}, t.revokedAt ? null : h('button', { type: 'button', class: 'danger', onclick: async () => {
      try { await gql('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: t.id }); say(`Revoked ${t.name}.`); tokens(main); } catch (error) { say(words(error)); }
    } }, `Revoke ${t.name}`))));
  const name = input();
  const role = select(ROLES.filter(([r]) => r !== 'AUTHOR'));
  const form = h('form', { class: 'panel', onsubmit: async (e) => {
    e.preventDefault(); clearErrors(form);
    try {
      const created = await gql('mutation($name: String!, $role: Role!) { createApiToken(name: $name, role: $role) { token apiToken { id } } }', { name: name.value, role: role.value });
      tokens(main, null, created.createApiToken.token);
    } catch (error) { showError(form, error); }
  } }, h('h2', {}, 'Create a token'), field('Name', name, { name: 'name', hint: 'Who or what uses it, such as “website build”.' }), field('Role', role, { name: 'role' }),
  h('button', { type: 'submit', class: 'primary' }, 'Create token'));
  const shown = fresh ? h('section', { class: 'panel secret', 'aria-label': 'New token' },
    h('h2', {}, 'Your new token'), h('p', {}, 'Copy it now: it is shown only once. Send it as “Authorization: Bearer …”.'),
    field('New token', input({ readonly: true, value: fresh, class: 'mono' }))) : null;
  main.replaceChildren(heading('API tokens'), shown, table(['Name', 'Role', 'Created', 'Last used', ''], rows, 'API tokens'), form);
  shown?.querySelector('input').select();
}

async function webhooks(main) {
  const data = await gql('{ webhooks { id url events createdAt } }');
  const deliveries = h('div');
  const rows = data.webhooks.map((w) => h('tr', {}, h('th', { scope: 'row', class: 'title-cell' }, w.url), h('td', {}, w.events.join(', ').toLowerCase().replaceAll('_', ' ')),
    h('td', {}, h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: async () => {
        const d = await gql('query($id: ID!) { webhookDeliveries(webhookId: $id, first: 50) { id event status attempts lastStatusCode lastError createdAt deliveredAt } }', { id: w.id });
        deliveries.replaceChildren(h('h2', {}, `Deliveries to ${w.url}`), table(['Event', 'Status', 'Attempts', 'Answer', 'Created'],
          d.webhookDeliveries.map((x) => h('tr', {}, h('td', {}, x.event), h('td', {}, x.status), h('td', {}, x.attempts), h('td', {}, x.lastStatusCode ?? x.lastError ?? '—'), h('td', {}, when(x.createdAt)))), 'Deliveries'));
      } }, `Deliveries to ${w.url}`),
      h('button', { type: 'button', class: 'danger', onclick: async () => {
        try { await gql('mutation($id: ID!) { deleteWebhook(id: $id) }', { id: w.id }); say('Webhook deleted.'); webhooks(main); } catch (error) { say(words(error)); }
      } }, `Delete webhook ${w.url}`)))));
  const url = input({ type: 'url' });
  const secret = input({ autocomplete: 'off' });
  const events = ['CONTENT_PUBLISHED', 'CONTENT_UNPUBLISHED', 'CONTENT_UPDATED', 'CONTENT_DELETED'].map((e) => [e, input({ type: 'checkbox', checked: true, value: e })]);
  const form = h('form', { class: 'panel', onsubmit: async (e) => {
    e.preventDefault(); clearErrors(form);
    try {
      await gql('mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { id } }',
        { input: { url: url.value, secret: secret.value, events: events.filter(([, c]) => c.checked).map(([v]) => v) } });
      say('Webhook created.'); webhooks(main);
    } catch (error) { showError(form, error); }
  } }, h('h2', {}, 'Add a webhook'), field('URL', url, { name: 'url' }),
  h('fieldset', { dataset: { field: 'events' } }, h('legend', {}, 'Events'), events.map(([v, c]) => field(v.toLowerCase().replaceAll('_', ' '), c)), h('p', { class: 'error', hidden: true })),
  field('Secret', secret, { name: 'secret', hint: 'At least 16 characters; signs every delivery.' }), h('button', { type: 'submit', class: 'primary' }, 'Create webhook'));
  main.replaceChildren(heading('Webhooks'), table(['URL', 'Events', ''], rows, 'Webhooks'), deliveries, form);
}

async function audit(main, params) {
  const after = params.get('after');
  const data = await gql('query($after: String) { auditLog(first: 50, after: $after) { pageInfo { hasNextPage endCursor } nodes { at actor { kind name } action subjectType subjectId detail } } }', { after });
  const rows = data.auditLog.nodes.map((e) => h('tr', {}, h('td', {}, when(e.at)), h('td', {}, e.actor.name), h('th', { scope: 'row' }, e.action),
    h('td', { class: 'title-cell' }, [e.subjectType, e.detail].filter(Boolean).join(': '))));
  main.replaceChildren(heading('Audit log'), table(['When', 'Who', 'What', 'Subject'], rows, 'Audit log'),
    data.auditLog.pageInfo.hasNextPage ? h('a', { class: 'button', href: `#/admin/audit?after=${encodeURIComponent(data.auditLog.pageInfo.endCursor)}` }, 'Older entries') : null);
}

async function newsletter(main, params) {
  const status = params.get('status') || '';
  const after = params.get('after');
  const data = await gql('query($after: String, $status: NewsletterSubscriberStatus) { newsletterSubscribers(first: 50, after: $after, status: $status) { pageInfo { hasNextPage endCursor } nodes { email status createdAt confirmedAt } } }',
    { after, status: status || null });
  const filter = select([['', 'Every status'], ['CONFIRMED', 'Confirmed'], ['PENDING', 'Waiting for confirmation'], ['UNSUBSCRIBED', 'Unsubscribed']]);
  filter.value = status;
  filter.addEventListener('change', () => { location.hash = `#/admin/newsletter?status=${filter.value}`; });
  const rows = data.newsletterSubscribers.nodes.map((s) => h('tr', {}, h('th', { scope: 'row', class: 'title-cell' }, s.email), h('td', {}, s.status.toLowerCase()), h('td', {}, when(s.createdAt)), h('td', {}, when(s.confirmedAt))));
  const csv = h('button', { type: 'button', onclick: async () => {
    try {
      const blob = await download('/admin/newsletter.csv');
      const a = h('a', { href: URL.createObjectURL(blob), download: `newsletter-subscribers-${new Date().toISOString().slice(0, 10)}.csv` });
      document.body.append(a); a.click(); a.remove();
      say('Downloaded the confirmed subscribers as CSV.');
    } catch (error) { say(words(error)); }
  } }, 'Download CSV of confirmed subscribers');
  main.replaceChildren(heading('Newsletter subscribers'), h('div', { class: 'filters' }, field('Status', filter), csv),
    table(['Email', 'Status', 'Signed up', 'Confirmed'], rows, 'Subscribers'),
    data.newsletterSubscribers.pageInfo.hasNextPage ? h('a', { class: 'button', href: `#/admin/newsletter?status=${status}&after=${encodeURIComponent(data.newsletterSubscribers.pageInfo.endCursor)}` }, 'More') : null);
}
