// Content: lists, the edit form (with live preview, conflicts, publishing), revisions,
// the page tree and the trash.

import { gql, state } from './api.js';
import {
  h, field, input, textarea, select, clearErrors, showError, say, when, words, timeZone,
  toLocalInput, fromLocalInput, statusBadge, heading, table, debounce, copy,
} from './ui.js';
import { assetPicker } from './media.js';

const COMMON = 'id status version publishedAt createdAt updatedAt scheduledAt scheduledAction viewerMayEdit';

/** Every content type: its names in the API and the fields of its form. */
export const TYPES = {
  pages: {
    label: 'Pages', one: 'page', type: 'Page', list: 'pages', enum: 'PAGE', titled: true,
    select: 'title slug summary body path position seoTitle seoDescription parent { id title }',
    fields: ['title', 'slug', 'parent', 'position', 'summary', 'body', 'seoTitle', 'seoDescription'],
    orders: [['PATH', 'Path'], ['UPDATED_AT', 'Last changed'], ['TITLE', 'Title'], ['CREATED_AT', 'Created'], ['POSITION', 'Position']],
  },
  news: {
    label: 'News', one: 'news article', type: 'NewsArticle', list: 'news', enum: 'NEWS_ARTICLE', titled: true,
    select: 'title slug summary body tags authorName heroImage { id url filename alt mimeType }',
    fields: ['title', 'slug', 'summary', 'body', 'tags', 'authorName', 'heroImage'],
    orders: [['UPDATED_AT', 'Last changed'], ['PUBLISHED_AT', 'Published'], ['CREATED_AT', 'Created'], ['TITLE', 'Title']],
  },
  press: {
    label: 'Press releases', one: 'press release', type: 'PressRelease', list: 'pressReleases', enum: 'PRESS_RELEASE', titled: true,
    select: 'title slug summary body location notesToEditors',
    fields: ['title', 'slug', 'location', 'summary', 'body', 'notesToEditors'],
    orders: [['UPDATED_AT', 'Last changed'], ['PUBLISHED_AT', 'Published'], ['CREATED_AT', 'Created'], ['TITLE', 'Title']],
  },
  testimonials: {
    label: 'Testimonials', one: 'testimonial', type: 'Testimonial', list: 'testimonials', enum: 'TESTIMONIAL', titled: false,
    select: 'quote authorName authorRole organisation featured position',
    fields: ['quote', 'authorName', 'authorRole', 'organisation', 'featured', 'position'],
    orders: [['POSITION', 'Position'], ['UPDATED_AT', 'Last changed'], ['CREATED_AT', 'Created'], ['PUBLISHED_AT', 'Published']],
  },
  booklets: {
    label: 'Booklets', one: 'booklet', type: 'Booklet', list: 'booklets', enum: 'BOOKLET', titled: true,
    select: 'title slug summary body downloadCount file { id url filename mimeType byteSize pageCount } cover { id url filename alt mimeType }',
    fields: ['title', 'slug', 'summary', 'body', 'file', 'cover'],
    orders: [['UPDATED_AT', 'Last changed'], ['PUBLISHED_AT', 'Published'], ['CREATED_AT', 'Created'], ['TITLE', 'Title']],
  },
};

export const typeOf = (typename) => Object.entries(TYPES).find(([, t]) => t.type === typename);
export const titleOf = (node) => node.title ?? (node.quote ? `“${node.quote}” — ${node.authorName}` : node.filename ?? node.id);

/** A fragment with the list columns of every type, for `node`, `search` and `trash`. */
export const ANY_NODE = Object.values(TYPES)
  .map((t) => `... on ${t.type} { ${COMMON} ${t.titled ? 'title' : 'quote authorName'} }`).join(' ');

// ---------------------------------------------------------------------------------------
// Lists

export async function listScreen(main, key, params) {
  const t = TYPES[key];
  const search = params.get('q') || '';
  const status = params.get('status') || '';
  const mine = params.get('mine') === '1';
  const order = params.get('order') || t.orders[0][0];
  const direction = params.get('dir') || '';
  const after = params.get('after');
  const before = params.get('before');

  const go = (changes) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) { if (v) next.set(k, v); else next.delete(k); }
    location.hash = `#/c/${key}?${next}`;
  };
  const searchBox = input({ type: 'search', value: search });
  const statusBox = select([['', 'Every status'], ['DRAFT', 'Draft'], ['SCHEDULED', 'Scheduled'], ['PUBLISHED', 'Published']]);
  statusBox.value = status;
  const orderBox = select(t.orders);
  orderBox.value = order;
  const dirBox = select([['', 'Usual order'], ['ASC', 'Ascending'], ['DESC', 'Descending']]);
  dirBox.value = direction;
  const mineBox = input({ type: 'checkbox', checked: mine });
  const filters = h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); go({ q: searchBox.value.trim(), status: statusBox.value, mine: mineBox.checked ? '1' : '', order: orderBox.value, dir: dirBox.value, after: '', before: '' }); } },
    field('Search', searchBox), field('Status', statusBox), field('Sort by', orderBox), field('Direction', dirBox), field('Only mine', mineBox),
    h('button', { type: 'submit' }, 'Apply'));
  for (const box of [statusBox, orderBox, dirBox, mineBox]) box.addEventListener('change', () => filters.requestSubmit());

  main.replaceChildren(
    h('div', { class: 'screen-head' }, heading(t.label), h('button', { type: 'button', class: 'primary', onclick: () => { location.hash = `#/c/${key}/new`; } }, `New ${t.one}`)),
    filters, h('p', { class: 'loading' }, 'Loading…'));

  let nodes; let pageInfo = null; let total = null;
  try {
    if (search) {
      const data = await gql(`query($q: String!, $types: [ContentType!], $after: String) {
        search(query: $q, types: $types, first: 50, after: $after) { pageInfo { hasNextPage endCursor } nodes { node { ${ANY_NODE} } } } }`,
      { q: search, types: [t.enum], after });
      nodes = data.search.nodes.map((hit) => hit.node).filter((n) => !status || n.status === status);
      pageInfo = { ...data.search.pageInfo, hasPreviousPage: false };
    } else {
      const filter = { ...(status ? { status: [status] } : {}), ...(mine ? { mine: true } : {}) };
      const orderBy = { field: order, ...(direction ? { direction } : {}) };
      const paging = before ? { last: 25, before } : { first: 25, after };
      const data = await gql(`query($filter: ${t.type}Filter, $orderBy: ContentOrder, $first: Int, $after: String, $last: Int, $before: String) {
        list: ${t.list}(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
          totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          nodes { ${COMMON} ${t.titled ? 'title' : 'quote authorName'} ${key === 'pages' ? 'path' : ''} } } }`,
      { filter, orderBy, ...paging });
      ({ nodes, pageInfo, totalCount: total } = data.list);
    }
  } catch (error) {
    main.querySelector('.loading').replaceWith(h('p', { class: 'form-alert', role: 'alert' }, words(error)));
    return;
  }
  const rows = nodes.map((n) => h('tr', {},
    h('th', { scope: 'row', class: 'title-cell' }, h('a', { href: `#/c/${key}/${encodeURIComponent(n.id)}` }, titleOf(n)),
      n.path ? h('span', { class: 'muted path' }, ` /${n.path}`) : null),
    h('td', {}, statusBadge(n.status), n.scheduledAt ? h('span', { class: 'muted' }, ` ${n.scheduledAction === 'UNPUBLISH' ? 'unpublishes' : 'publishes'} ${when(n.scheduledAt)}`) : null),
    h('td', {}, when(n.updatedAt))));
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of results' },
    pageInfo?.hasPreviousPage ? h('button', { type: 'button', onclick: () => go({ before: pageInfo.startCursor, after: '' }) }, 'Previous page') : null,
    pageInfo?.hasNextPage ? h('button', { type: 'button', onclick: () => go({ after: pageInfo.endCursor, before: '' }) }, 'Next page') : null);
  main.querySelector('.loading').replaceWith(
    total !== null ? h('p', { class: 'muted' }, `${total} in all`) : h('p', { class: 'muted' }, search ? `Best matches for “${search}”` : ''),
    table(['Title', 'Status', 'Last changed'], rows, t.label), pager);
}

// ---------------------------------------------------------------------------------------
// The edit form

const LABELS = {
  title: 'Title', slug: 'Slug', summary: 'Summary', body: 'Body', tags: 'Tags', authorName: 'Author name',
  location: 'Location', notesToEditors: 'Notes to editors', quote: 'Quote', authorRole: 'Author role',
  organisation: 'Organisation', featured: 'Featured on the home page', position: 'Position', parent: 'Parent page',
  seoTitle: 'Title for search engines', seoDescription: 'Description for search engines',
  heroImage: 'Hero image', file: 'Booklet file', cover: 'Cover image',
};
const MARKDOWN = new Set(['body', 'notesToEditors']);
const ASSET_INPUT = { heroImage: 'heroImageId', file: 'fileId', cover: 'coverId', parent: 'parentId' };

/** The value of a field in an item, as the form holds it. */
function valueOf(item, name) {
  if (name in ASSET_INPUT) return item[name]?.id ?? null;
  if (name === 'tags') return (item.tags || []).join(', ');
  if (name === 'featured') return Boolean(item.featured);
  if (name === 'position') return item.position ?? 0;
  return item[name] ?? '';
}

function fetchItem(key, id) {
  const t = TYPES[key];
  return gql(`query($id: ID!) { node(id: $id) { ... on ${t.type} { ${COMMON} ${t.select} } } }`, { id })
    .then((data) => data.node);
}

function markdownEditor(name, value, onInput) {
  const area = textarea({ rows: 14, class: 'markdown', value, spellcheck: 'true' });
  const preview = h('div', { class: 'preview-html', 'aria-live': 'polite' });
  const render = debounce(async () => {
    try {
      const data = await gql('query($m: String!) { renderMarkdown(markdown: $m) }', { m: area.value });
      preview.innerHTML = data.renderMarkdown; // rendered and sanitised by Quire
    } catch (error) { preview.textContent = words(error); }
  }, 250);
  area.addEventListener('input', () => { onInput(); render(); });
  render();
  const label = `Preview of ${LABELS[name].toLowerCase()}`;
  const wrap = field(LABELS[name], area, { name, hint: 'Markdown: **bold**, _italic_, [a link](https://…), # Heading, - list' });
  return { control: area, el: h('div', { class: 'markdown-pair' }, wrap, h('section', { class: 'preview', 'aria-label': label }, h('h2', { class: 'small' }, label), preview)) };
}

/** Every page, in path order, a hundred at a time (a list gives at most 100). */
async function allPages(fields) {
  const pages = [];
  let after = null;
  do {
    const data = await gql(`query($after: String) { pages(first: 100, after: $after, orderBy: { field: PATH }) { pageInfo { hasNextPage endCursor } nodes { ${fields} } } }`, { after });
    pages.push(...data.pages.nodes);
    after = data.pages.pageInfo.hasNextPage ? data.pages.pageInfo.endCursor : null;
  } while (after && pages.length < 10000);
  return pages;
}

async function parentOptions(selfId) {
  const pages = await allPages('id title path');
  return [['', 'None (top level)'], ...pages.filter((p) => p.id !== selfId).map((p) => [p.id, `${p.title} (/${p.path})`])];
}

/** Builds the controls of a type's form; returns them by field name. */
async function buildControls(key, item, markDirty) {
  const t = TYPES[key];
  const controls = {}; const elements = [];
  for (const name of t.fields) {
    const value = valueOf(item, name);
    let control; let el;
    if (MARKDOWN.has(name)) {
      ({ control, el } = markdownEditor(name, value, markDirty));
    } else if (name === 'heroImage' || name === 'cover' || name === 'file') {
      const picker = assetPicker({ label: LABELS[name], name: ASSET_INPUT[name], current: item[name], images: name !== 'file', onChange: markDirty });
      control = picker; el = picker.el;
    } else if (name === 'parent') {
      control = select(await parentOptions(item.id), {});
      control.value = value || '';
      control.addEventListener('change', markDirty);
      el = field(LABELS[name], control, { name: 'parentId' });
    } else if (name === 'featured') {
      control = input({ type: 'checkbox', checked: value });
      control.addEventListener('change', markDirty);
      el = field(LABELS[name], control, { name });
    } else if (name === 'position') {
      control = input({ type: 'number', value, step: 1 });
      control.addEventListener('input', markDirty);
      el = field(LABELS[name], control, { name });
    } else {
      const long = name === 'summary' || name === 'quote' || name === 'seoDescription';
      control = long ? textarea({ rows: 3, value }) : input({ value });
      if (name === 'title') control.required = true;
      control.addEventListener('input', markDirty);
      const hint = name === 'slug' ? 'Made from the title when left empty.' : name === 'tags' ? 'Separated by commas.' : undefined;
      el = field(LABELS[name], control, { name, hint });
    }
    controls[name] = control; elements.push(el);
  }
  return { controls, elements };
}

/** What the form holds, as the input of `create…` or `update…`. */
function readInput(key, controls, creating) {
  const input = {};
  for (const [name, control] of Object.entries(controls)) {
    if (name in ASSET_INPUT) {
      const value = name === 'parent' ? (control.value || null) : control.value;
      if (!creating || value) input[ASSET_INPUT[name]] = value;
    } else if (name === 'tags') {
      input.tags = control.value.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (name === 'featured') {
      input.featured = control.checked;
    } else if (name === 'position') {
      input.position = Number.parseInt(control.value || '0', 10);
    } else if (name === 'slug') {
      if (control.value.trim()) input.slug = control.value.trim();
    } else {
      const v = control.value;
      input[name] = (v === '' && !creating && name !== 'title' && name !== 'quote' && name !== 'authorName') ? null : v;
      if (creating && v === '' && name !== 'title') delete input[name];
    }
  }
  return input;
}

function publishing(key, item, reload, saveFirst) {
  const t = TYPES[key];
  if (!state.canPublish()) return null;
  const run = async (mutation, variables, message) => {
    // Unsaved changes are saved first, so publishing never drops them.
    if (state.dirty && !(await saveFirst())) return;
    try {
      await gql(`mutation($id: ID!, $at: DateTime) { ${mutation}${t.type}(id: $id, at: $at) { id } }`, { id: item.id, at: null, ...variables });
      say(message); reload();
    } catch (error) { showError(box, error); }
  };
  const at = input({ type: 'datetime-local', value: toLocalInput(item.scheduledAt) });
  const box = h('section', { class: 'panel', 'aria-labelledby': 'publishing-title' },
    h('h2', { id: 'publishing-title' }, 'Publishing'),
    h('p', {}, statusBadge(item.status), ' ', item.publishedAt ? `Published date: ${when(item.publishedAt)}` : 'Not published yet',
      item.scheduledAt ? h('strong', {}, ` · ${item.scheduledAction === 'UNPUBLISH' ? 'Unpublishes' : 'Publishes'} ${when(item.scheduledAt)}`) : null));
  const buttons = h('div', { class: 'actions' });
  if (item.status !== 'PUBLISHED' || item.scheduledAction === 'UNPUBLISH') {
    buttons.append(h('button', { type: 'button', class: 'primary', onclick: () => run('publish', {}, 'Published.') }, 'Publish'));
  }
  if (item.status === 'PUBLISHED' && !item.scheduledAt) {
    buttons.append(h('button', { type: 'button', onclick: () => run('unpublish', {}, 'Unpublished: back to draft.') }, 'Unpublish'));
  }
  if (item.scheduledAt) {
    const cancel = item.scheduledAction === 'UNPUBLISH' ? 'publish' : 'unpublish';
    buttons.append(h('button', { type: 'button', onclick: () => run(cancel, {}, 'Schedule cancelled.') }, 'Cancel schedule'));
  }
  box.append(buttons);
  const verb = item.status === 'PUBLISHED' ? 'unpublish' : 'publish';
  box.append(h('div', { class: 'schedule' },
    field(item.status === 'PUBLISHED' ? 'Unpublish at' : 'Publish at', at, { name: 'at', hint: `Your time zone: ${timeZone()}.` }),
    h('button', { type: 'button', onclick: () => {
      if (!at.value) { showError(box, { code: 'BAD_USER_INPUT', field: 'at', message: 'Choose a date and time.' }); return; }
      run(verb, { at: fromLocalInput(at.value) }, `Scheduled for ${when(fromLocalInput(at.value))}.`);
    } }, 'Schedule')));
  return box;
}

export async function editScreen(main, key, id) {
  const t = TYPES[key];
  const creating = id === 'new';
  main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  let item = creating ? { tags: [] } : await fetchItem(key, id).catch(() => null);
  if (!item) { main.replaceChildren(heading('Not found'), h('p', {}, `This ${t.one} does not exist, or is in the trash.`)); return; }

  const dirty = () => { state.dirty = true; saveButton.classList.add('attention'); };
  const { controls, elements } = await buildControls(key, item, dirty);
  const saveButton = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const mayEdit = creating || item.viewerMayEdit;
  const form = h('form', { class: 'edit-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); if (mayEdit) save(); } },
    mayEdit ? elements : [h('p', { class: 'form-alert', role: 'status' }, 'You may read this, not change it: authors change only their own drafts.'),
      h('fieldset', { class: 'plain', disabled: true }, h('legend', { class: 'visually-hidden' }, 'Fields'), elements)],
    h('div', { class: 'actions form-actions' }, mayEdit ? saveButton : null, h('a', { class: 'button', href: `#/c/${key}` }, 'Back to the list')));

  async function save(inputOverride, expectedVersion = item.version) {
    clearErrors(form);
    await Promise.all(Object.values(controls).map((c) => c.pending).filter(Boolean));
    const values = inputOverride || readInput(key, controls, creating);
    try {
      if (creating) {
        const data = await gql(`mutation($input: Create${t.type}Input!) { item: create${t.type}(input: $input) { id } }`, { input: values });
        state.dirty = false;
        say(`Saved: the ${t.one} is a draft.`);
        location.replace(`#/c/${key}/${encodeURIComponent(data.item.id)}`);
      } else {
        await gql(`mutation($id: ID!, $input: Update${t.type}Input!, $v: Int) { item: update${t.type}(id: $id, input: $input, expectedVersion: $v) { id version } }`,
          { id: item.id, input: values, v: expectedVersion });
        state.dirty = false;
        say('Saved.');
        editScreen(main, key, item.id);
      }
      return true;
    } catch (error) {
      if (error.code === 'CONFLICT' && !creating) { conflictView(main, key, item, values, save); return false; }
      showError(form, error);
      return false;
    }
  }

  const head = h('div', { class: 'screen-head' },
    heading(creating ? `New ${t.one}` : titleOf(item)),
    creating ? null : statusBadge(item.status));
  const side = creating ? null : h('aside', { class: 'side' },
    publishing(key, item, () => editScreen(main, key, item.id), () => save()),
    h('section', { class: 'panel', 'aria-labelledby': 'more-title' }, h('h2', { id: 'more-title' }, 'More'),
      h('div', { class: 'actions column' },
        h('a', { class: 'button', href: `#/preview/${key}/${encodeURIComponent(item.id)}` }, 'Preview'),
        // Preview links and revisions are for those who may change the item.
        mayEdit ? previewLink(item) : null,
        mayEdit ? h('a', { class: 'button', href: `#/revisions/${key}/${encodeURIComponent(item.id)}` }, 'Revisions') : null,
        state.canPublish() ? h('button', { type: 'button', class: 'danger', onclick: async () => {
          try {
            await gql(`mutation($id: ID!) { delete${t.type}(id: $id) }`, { id: item.id });
            state.dirty = false; say(`Moved to the trash: ${titleOf(item)}.`); location.hash = `#/c/${key}`;
          } catch (error) { say(words(error)); }
        } }, 'Move to trash') : null)),
    h('p', { class: 'muted' }, `Version ${item.version} · last changed ${when(item.updatedAt)}`));
  main.replaceChildren(head, h('div', { class: side ? 'edit-layout' : 'edit-layout single' }, form, side));
  state.dirty = false;
  main.querySelector('h1').focus();
}

function previewLink(item) {
  const output = input({ readonly: true, hidden: true, 'aria-label': 'Preview link' });
  const button = h('button', { type: 'button', onclick: async () => {
    try {
      const data = await gql('mutation($id: ID!) { createPreviewToken(id: $id, expiresInSeconds: 604800) }', { id: item.id });
      // The token is in the fragment: browsers never send it to a server or a log.
      const link = `${location.origin}/admin/#/p/${encodeURIComponent(data.createPreviewToken)}`;
      const copied = await copy(link, output);
      output.value = link; output.hidden = false;
      say(copied ? 'Preview link copied: it works for a week.' : 'Copy the preview link below.');
    } catch (error) { say(words(error)); }
  } }, 'Copy preview link');
  return h('div', { class: 'stack' }, button, output);
}

// ---------------------------------------------------------------------------------------
// Conflicts: someone else saved first

function conflictView(main, key, mine, myInput, save) {
  fetchItem(key, mine.id).then((theirs) => {
    const names = Object.keys(myInput);
    const fromTheirs = (name) => {
      const field = Object.entries(ASSET_INPUT).find(([, v]) => v === name)?.[0];
      if (field) return theirs[field]?.id ?? null;
      if (name === 'tags') return (theirs.tags || []).join(', ');
      return theirs[name] ?? '';
    };
    const show = (name, v) => (name === 'tags' && Array.isArray(v) ? v.join(', ') : v ?? '');
    const rows = []; const mineBoxes = {};
    for (const name of names) {
      const a = show(name, myInput[name]); const b = show(name, fromTheirs(name));
      if (String(a) === String(b)) continue;
      const label = LABELS[name] || LABELS[Object.entries(ASSET_INPUT).find(([, v]) => v === name)?.[0]] || name;
      const mineBox = textarea({ rows: name === 'body' ? 8 : 2, value: String(a) });
      const theirBox = textarea({ rows: name === 'body' ? 8 : 2, value: String(b), readonly: true });
      mineBoxes[name] = mineBox;
      rows.push(h('fieldset', { class: 'conflict-field' }, h('legend', {}, label),
        h('div', { class: 'two' },
          field(`Yours: ${label}`, mineBox),
          field(`Theirs: ${label}`, theirBox)),
        h('div', { class: 'actions' },
          h('button', { type: 'button', onclick: () => { mineBox.value = theirBox.value; say(`Copied theirs into yours: ${label}.`); } }, `Use theirs for ${label}`),
          h('button', { type: 'button', onclick: () => { mineBox.value = String(a); } }, `Use yours for ${label}`))));
    }
    const merged = () => {
      const out = { ...myInput };
      for (const [name, box] of Object.entries(mineBoxes)) {
        const was = myInput[name];
        if (name === 'tags') out[name] = box.value.split(',').map((s) => s.trim()).filter(Boolean);
        else if (typeof was === 'number') out[name] = Number.parseInt(box.value || '0', 10);
        else if (typeof was === 'boolean') out[name] = box.value === 'true';
        else out[name] = box.value === '' && was === null ? null : box.value;
      }
      return out;
    };
    const area = h('section', { class: 'conflict', 'aria-labelledby': 'conflict-title' },
      h('h1', { id: 'conflict-title', tabindex: '-1' }, 'Someone else saved this first'),
      h('p', {}, `${titleOf(theirs)} was saved by someone else (version ${theirs.version}, ${when(theirs.updatedAt)}) after you opened it. Compare, copy what you need, then choose.`),
      rows.length ? rows : h('p', {}, 'Your changes and theirs are the same.'),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', onclick: () => save(merged(), theirs.version) }, 'Keep mine'),
        h('button', { type: 'button', onclick: () => { state.dirty = false; editScreen(main, key, mine.id); say('Took their version.'); } }, 'Take theirs')));
    main.replaceChildren(area);
    area.querySelector('h1').focus();
  }, (error) => say(words(error)));
}

// ---------------------------------------------------------------------------------------
// Preview, as the front-end would show it (with the draft's own images, signed for staff)

export async function previewScreen(main, key, id) {
  const item = await fetchItem(key, id);
  if (!item) { main.replaceChildren(heading('Not found')); return; }
  const t = TYPES[key];
  const html = await gql(`query($id: ID!) { node(id: $id) { ... on ${t.type} { ${key === 'testimonials' ? 'quote' : 'bodyHtml'} } } }`, { id });
  const body = h('div', { class: 'preview-html' });
  if (html.node.bodyHtml) body.innerHTML = html.node.bodyHtml; // sanitised by Quire
  const image = item.heroImage || item.cover;
  main.replaceChildren(
    h('p', {}, h('a', { href: `#/c/${key}/${encodeURIComponent(id)}` }, `Back to editing`)),
    h('article', { class: 'preview-page', 'aria-label': 'Preview' },
      h('p', {}, statusBadge(item.status), ' Preview: not what the public sees until it is published.'),
      heading(titleOf(item)),
      image ? h('img', { src: image.url, alt: image.alt || '', class: 'hero' }) : null,
      item.summary ? h('p', { class: 'lead' }, item.summary) : null,
      body,
      item.file ? h('p', {}, h('a', { href: item.file.url }, `Download ${item.file.filename}`)) : null));
}

// ---------------------------------------------------------------------------------------
// Revisions

// Bookkeeping that changes with every version, or is derived from what the editor wrote.
const SKIP = new Set(['id', 'version', 'createdAt', 'updatedAt', 'bodyHtml', 'notesToEditorsHtml', 'contentType', 'createdBy', 'deletedAt', 'downloadCount', 'announceAt']);

/** The names of a revision's fields, as the form calls them. */
const SNAPSHOT_LABELS = {
  title: 'Title', slug: 'Slug', summary: 'Summary', body: 'Body', tags: 'Tags', authorName: 'Author name',
  heroImageId: 'Hero image', notesToEditors: 'Notes to editors', location: 'Location', quote: 'Quote',
  authorRole: 'Author role', organisation: 'Organisation', featured: 'Featured', position: 'Position',
  parentId: 'Parent page', seoTitle: 'Title for search engines', seoDescription: 'Description for search engines',
  fileId: 'Booklet file', coverId: 'Cover image', status: 'Status', publishedAt: 'Published date',
  scheduledAt: 'Scheduled for', scheduledAction: 'Scheduled change', path: 'Path',
};

function flatten(snapshot) {
  const item = snapshot.item || snapshot;
  const out = {};
  for (const [k, v] of Object.entries(item)) if (!SKIP.has(k)) out[k] = v;
  if (snapshot.tags) out.tags = snapshot.tags;
  return out;
}

/** Lines removed and added between two texts (longest common subsequence). */
export function lineDiff(a, b) {
  const x = String(a ?? '').split('\n'); const y = String(b ?? '').split('\n');
  const n = x.length; const m = y.length;
  if (n * m > 400000) return [...x.map((l) => ['-', l]), ...y.map((l) => ['+', l])];
  const dp = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i][j] = x[i] === y[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const out = []; let i = 0; let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push([' ', x[i]]); i++; j++; } else if (dp[i + 1][j] >= dp[i][j + 1]) out.push(['-', x[i++]]); else out.push(['+', y[j++]]);
  }
  while (i < n) out.push(['-', x[i++]]);
  while (j < m) out.push(['+', y[j++]]);
  return out;
}

function diffView(older, newer) {
  const a = flatten(older.snapshot); const b = flatten(newer.snapshot);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const parts = [];
  for (const k of keys) {
    const va = typeof a[k] === 'object' ? JSON.stringify(a[k]) : a[k];
    const vb = typeof b[k] === 'object' ? JSON.stringify(b[k]) : b[k];
    if ((va ?? '') === (vb ?? '')) continue;
    parts.push(h('h3', {}, SNAPSHOT_LABELS[k] || k),
      h('pre', { class: 'diff' }, lineDiff(va, vb).map(([sign, line]) =>
        h(sign === '+' ? 'ins' : sign === '-' ? 'del' : 'span', {}, `${sign} ${line}\n`))));
  }
  return h('section', { class: 'panel', 'aria-label': `Changes from version ${older.version} to ${newer.version}` },
    h('h2', {}, `Changes from version ${older.version} to version ${newer.version}`),
    parts.length ? parts : h('p', {}, 'No change in the content.'));
}

export async function revisionsScreen(main, key, id) {
  const t = TYPES[key];
  const [item, data] = await Promise.all([fetchItem(key, id),
    gql('query($id: ID!) { revisions(id: $id, first: 50) { nodes { id version createdAt author { name } snapshot } } }', { id })]);
  const revisions = data.revisions.nodes;
  const older = select(revisions.map((r) => [r.id, `Version ${r.version}`]));
  const newer = select(revisions.map((r) => [r.id, `Version ${r.version}`]));
  if (revisions.length > 1) older.value = revisions[1].id;
  const out = h('div');
  const compare = () => {
    const a = revisions.find((r) => r.id === older.value); const b = revisions.find((r) => r.id === newer.value);
    out.replaceChildren(a && b ? diffView(a.version <= b.version ? a : b, a.version <= b.version ? b : a) : '');
  };
  older.addEventListener('change', compare); newer.addEventListener('change', compare);
  const rows = revisions.map((r) => h('tr', {},
    h('th', { scope: 'row' }, `Version ${r.version}`), h('td', {}, when(r.createdAt)), h('td', {}, r.author.name),
    h('td', {}, r.version === item?.version || !item?.viewerMayEdit ? h('span', { class: 'muted' }, r.version === item?.version ? 'Current' : '') : h('button', { type: 'button', onclick: async () => {
      try {
        await gql('mutation($id: ID!) { restoreRevision(id: $id) { id } }', { id: r.id });
        say(`Version ${r.version} restored as the newest version.`);
        location.hash = `#/c/${key}/${encodeURIComponent(id)}`;
      } catch (error) { say(words(error)); }
    } }, `Restore version ${r.version}`))));
  main.replaceChildren(
    h('p', {}, h('a', { href: `#/c/${key}/${encodeURIComponent(id)}` }, 'Back to editing')),
    heading(`Revisions of ${item ? titleOf(item) : t.one}`),
    table(['Version', 'Saved', 'By', ''], rows, 'Revisions'),
    revisions.length > 1 ? h('div', { class: 'filters' }, field('Compare', older), field('with', newer)) : null, out);
  if (revisions.length > 1) compare();
  main.querySelector('h1').focus();
}

// ---------------------------------------------------------------------------------------
// The page tree: move pages with buttons (keyboard and mouse) or by dragging

export async function treeScreen(main) {
  const pages = await allPages('id title path position version parent { id }');
  const children = (parentId) => pages.filter((p) => (p.parent?.id ?? null) === parentId).sort((a, b) => a.position - b.position || a.title.localeCompare(b.title));
  const move = async (page, changes, message) => {
    try {
      await gql('mutation($id: ID!, $input: UpdatePageInput!, $v: Int) { updatePage(id: $id, input: $input, expectedVersion: $v) { id } }', { id: page.id, input: changes, v: page.version });
      say(message);
      await treeScreen(main);
      main.querySelector(`[data-page="${CSS.escape(page.id)}"] button`)?.focus();
    } catch (error) { say(words(error)); }
  };
  const renumber = async (siblings, page, to) => {
    const order = siblings.filter((p) => p !== page);
    order.splice(to, 0, page);
    for (const [i, p] of order.entries()) {
      if (p.position !== i * 10 && p !== page) {
        await gql('mutation($id: ID!, $input: UpdatePageInput!) { updatePage(id: $id, input: $input) { id } }', { id: p.id, input: { position: i * 10 } });
      }
    }
    await move(page, { position: to * 10 }, `Moved ${page.title}.`);
  };
  let dragged = null;
  const branch = (parentId) => {
    const list = children(parentId);
    if (!list.length) return null;
    return h('ul', { class: 'tree', role: parentId ? 'group' : null }, list.map((page, index) => {
      const previous = list[index - 1];
      const grandparent = parentId ? pages.find((p) => p.id === parentId)?.parent?.id ?? null : undefined;
      return h('li', { dataset: { page: page.id }, draggable: 'true',
        ondragstart: (e) => { dragged = page; e.dataTransfer.setData('text/plain', page.id); e.stopPropagation(); },
        ondragover: (e) => { if (dragged && dragged !== page) e.preventDefault(); },
        ondrop: (e) => { e.preventDefault(); e.stopPropagation(); if (!dragged || dragged === page) return;
          if ((dragged.parent?.id ?? null) === (page.parent?.id ?? null)) renumber(list, dragged, index);
          else move(dragged, { parentId: page.id }, `Moved ${dragged.title} under ${page.title}.`); } },
      h('div', { class: 'tree-row' },
        h('a', { href: `#/c/pages/${encodeURIComponent(page.id)}` }, page.title), h('span', { class: 'muted path' }, ` /${page.path}`),
        h('span', { class: 'tree-actions' },
          h('button', { type: 'button', disabled: index === 0, 'aria-label': `Move ${page.title} up`, onclick: () => renumber(list, page, index - 1) }, '↑ Up'),
          h('button', { type: 'button', disabled: index === list.length - 1, 'aria-label': `Move ${page.title} down`, onclick: () => renumber(list, page, index + 1) }, '↓ Down'),
          h('button', { type: 'button', disabled: !previous, 'aria-label': `Move ${page.title} under ${previous?.title ?? 'the page above'}`, onclick: () => move(page, { parentId: previous.id }, `${page.title} is now under ${previous.title}.`) }, '→ In'),
          h('button', { type: 'button', disabled: !parentId, 'aria-label': `Move ${page.title} out a level`, onclick: () => move(page, { parentId: grandparent ?? null }, `${page.title} moved out a level.`) }, '← Out'))),
      branch(page.id));
    }));
  };
  main.replaceChildren(heading('Page tree'),
    h('p', { class: 'hint' }, 'Move a page with its buttons, or drag it onto a sibling to reorder, or onto another page to move it there.'),
    branch(null) || h('p', {}, 'No pages yet.'));
}

// ---------------------------------------------------------------------------------------
// The trash

export async function trashScreen(main, after) {
  const data = await gql(`query($after: String) { trash(first: 25, after: $after) { pageInfo { hasNextPage endCursor } nodes { __typename ${ANY_NODE} } } }`, { after });
  const rows = data.trash.nodes.map((n) => {
    const [, t] = typeOf(n.__typename) || [null, { one: n.__typename }];
    return h('tr', {}, h('th', { scope: 'row', class: 'title-cell' }, titleOf(n)), h('td', {}, t.one), h('td', {}, when(n.updatedAt)),
      h('td', {}, h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: async () => {
          try { await gql('mutation($id: ID!) { restoreFromTrash(id: $id) { id } }', { id: n.id }); say(`Restored: ${titleOf(n)}.`); trashScreen(main); } catch (error) { say(words(error)); }
        } }, `Restore ${titleOf(n)}`),
        state.isAdmin() ? h('button', { type: 'button', class: 'danger', onclick: async () => {
          try { await gql('mutation($id: ID!) { purge(id: $id) }', { id: n.id }); say(`Deleted for good: ${titleOf(n)}.`); trashScreen(main); } catch (error) { say(words(error)); }
        } }, `Delete ${titleOf(n)} for good`) : null)));
  });
  main.replaceChildren(heading('Trash'), h('p', { class: 'hint' }, 'Items moved to the trash, most recent first. Restoring brings an item back as it was.'),
    table(['Item', 'Type', 'Last changed', 'Actions'], rows, 'Trash'),
    data.trash.pageInfo.hasNextPage ? h('button', { type: 'button', onclick: () => trashScreen(main, data.trash.pageInfo.endCursor) }, 'More') : null);
  main.querySelector('h1').focus();
}
