// Files: the picker in forms (choose or drop a file, alt text for images) and the library.

import { gql, upload, state, ASSET_FIELDS } from './api.js';
import { h, field, input, say, words, showError, clearErrors, heading, table, bytes, when } from './ui.js';

const isImage = (asset) => asset?.mimeType?.startsWith('image/');

/** Accepts dropped files on `zone`, calling `onFile` with the first. */
function dropZone(zone, onFile) {
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault(); zone.classList.remove('over');
    const file = e.dataTransfer?.files?.[0];
    if (file) onFile(file);
  });
}

/**
 * A form's file field: shows the current file, uploads a chosen or dropped one (asking for
 * alt text first when it is an image), and can clear it. `value` is the asset id.
 */
export function assetPicker({ label, name, current, images, onChange }) {
  let asset = current || null;
  const shown = h('div', { class: 'asset-current' });
  const alt = input({ name: `${name}-alt` });
  const chooser = input({ type: 'file', accept: images ? 'image/*' : 'application/pdf,image/*' });
  const picker = {
    get value() { return asset?.id ?? null; },
    el: null,
    pending: null,
  };
  const render = () => {
    shown.replaceChildren(asset
      ? h('div', { class: 'asset-row' },
        isImage(asset) ? h('img', { src: asset.url, alt: asset.alt || '', class: 'thumb' }) : null,
        h('span', { class: 'filename' }, asset.filename, asset.pageCount ? ` (${asset.pageCount} pages)` : ''),
        h('button', { type: 'button', onclick: () => { asset = null; render(); onChange(); } }, `Remove ${label.toLowerCase()}`))
      : h('p', { class: 'muted' }, `No ${label.toLowerCase()} yet.`));
  };
  const send = async (file) => {
    clearErrors(picker.el);
    if (images && !alt.value.trim() && file.type.startsWith('image/')) {
      showError(picker.el, { code: 'BAD_USER_INPUT', field: `${name}-alt`, message: 'Describe the image first, for people who cannot see it.' });
      chooser.value = '';
      return;
    }
    try {
      say(`Uploading ${file.name}…`);
      asset = await upload(file, alt.value.trim() || null);
      render(); onChange(); say(`Uploaded ${file.name}.`);
    } catch (error) { showError(picker.el, error); }
    chooser.value = '';
  };
  // Saving waits for an upload still on its way (`pending`), so a file is never left out.
  const start = (file) => { picker.pending = send(file); };
  chooser.addEventListener('change', () => { if (chooser.files[0]) start(chooser.files[0]); });
  const canUpload = state.canPublish();
  picker.el = h('fieldset', { class: 'asset-picker', dataset: { field: name } },
    h('legend', {}, label), shown,
    canUpload ? [
      images ? field(`Alt text for the ${label.toLowerCase()}`, alt, { name: `${name}-alt`, hint: 'What the image shows, for people who cannot see it.' }) : null,
      field(`Upload ${label.toLowerCase()}`, chooser, { hint: 'Choose a file, or drop one here.' }),
    ] : h('p', { class: 'hint' }, 'Editors upload files.'),
    library(label, images, (chosen) => { asset = chosen; render(); onChange(); say(`Chose ${chosen.filename}.`); }),
    h('p', { class: 'error', hidden: true }));
  if (canUpload) dropZone(picker.el, start);
  render();
  return picker;
}

/** Finding an uploaded file by name or alt text, to use it again. */
function library(label, images, choose) {
  const search = input({ type: 'search' });
  const results = h('ul', { class: 'plain choices' });
  const find = async () => {
    try {
      const data = await gql(`query($q: String) { assets(first: 20, search: $q) { nodes { ${ASSET_FIELDS} } } }`, { q: search.value.trim() || null });
      const found = data.assets.nodes.filter((a) => !images || isImage(a));
      results.replaceChildren(...(found.length ? found.map((a) => h('li', {},
        h('button', { type: 'button', onclick: () => choose(a) }, `Use ${a.filename}`),
        a.alt ? h('span', { class: 'muted' }, ` ${a.alt}`) : null)) : [h('li', { class: 'muted' }, 'No file found.')]));
    } catch (error) { results.replaceChildren(h('li', {}, words(error))); }
  };
  search.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); find(); } });
  return h('details', { class: 'library' }, h('summary', {}, `Choose an uploaded file as the ${label.toLowerCase()}`),
    h('div', { class: 'inline' }, field(`Find a file for the ${label.toLowerCase()}`, search), h('button', { type: 'button', onclick: find }, 'Find')), results);
}

// ---------------------------------------------------------------------------------------
// The media library

export async function mediaScreen(main, params = new URLSearchParams()) {
  const q = params.get('q') || '';
  const after = params.get('after');
  const data = await gql(`query($after: String, $q: String) { assets(first: 50, after: $after, search: $q) { pageInfo { hasNextPage endCursor } nodes { ${ASSET_FIELDS} usedBy { __typename id ... on Page { title } ... on NewsArticle { title } ... on PressRelease { title } ... on Booklet { title } ... on Testimonial { authorName } } } } }`, { after, q: q || null });
  const reload = () => mediaScreen(main, params);
  const rows = data.assets.nodes.map((a) => {
    const altBox = input({ value: a.alt || '' });
    return h('tr', {},
      h('td', {}, isImage(a) ? h('img', { src: `${a.url}${a.url.includes('?') ? '&' : '?'}w=160`, alt: a.alt || '', class: 'thumb', loading: 'lazy' }) : h('span', { class: 'file-icon', 'aria-hidden': 'true' }, 'PDF')),
      h('th', { scope: 'row', class: 'title-cell' }, h('a', { href: a.url }, a.filename), h('div', { class: 'muted' }, `${bytes(a.byteSize)}${a.width ? ` · ${a.width}×${a.height}` : ''}${a.pageCount ? ` · ${a.pageCount} pages` : ''} · ${when(a.createdAt)}`)),
      h('td', {}, isImage(a) && state.canPublish() ? h('form', { class: 'inline', onsubmit: async (e) => {
        e.preventDefault();
        try { await gql('mutation($id: ID!, $alt: String) { updateAsset(id: $id, alt: $alt) { id } }', { id: a.id, alt: altBox.value.trim() || null }); say('Alt text saved.'); } catch (error) { say(words(error)); }
      } }, field(`Alt text for ${a.filename}`, altBox), h('button', { type: 'submit' }, 'Save alt text')) : h('span', {}, a.alt || '—')),
      h('td', {}, a.usedBy.length ? h('ul', { class: 'plain' }, a.usedBy.map((n) => usedByLink(n))) : 'Not used'),
      h('td', {}, state.canPublish() ? h('button', { type: 'button', class: 'danger', disabled: a.usedBy.length > 0, onclick: async () => {
        try { await gql('mutation($id: ID!) { deleteAsset(id: $id) }', { id: a.id }); say(`Deleted ${a.filename}.`); reload(); } catch (error) { say(words(error)); }
      } }, `Delete ${a.filename}`) : null));
  });
  const search = input({ type: 'search', value: q });
  const searchForm = h('form', { class: 'filters', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    location.hash = search.value.trim() ? `#/media?q=${encodeURIComponent(search.value.trim())}` : '#/media';
  } }, field('Search files', search, { hint: 'By file name or alt text.' }), h('button', { type: 'submit' }, 'Search'));
  const more = new URLSearchParams(params);
  more.set('after', data.assets.pageInfo.endCursor || '');
  main.replaceChildren(heading('Media'), state.canPublish() ? uploadForm(reload) : null, searchForm,
    table(['', 'File', 'Alt text', 'Where used', ''], rows, 'Files'),
    data.assets.pageInfo.hasNextPage ? h('a', { class: 'button', href: `#/media?${more}` }, 'Older files') : null);
}

const KEYS = { Page: 'pages', NewsArticle: 'news', PressRelease: 'press', Testimonial: 'testimonials', Booklet: 'booklets' };
function usedByLink(node) {
  const key = KEYS[node.__typename];
  return h('li', {}, h('a', { href: `#/c/${key}/${encodeURIComponent(node.id)}` }, node.title || node.authorName || node.__typename));
}

function uploadForm(reload) {
  const alt = input();
  const chooser = input({ type: 'file', accept: 'application/pdf,image/*' });
  const form = h('form', { class: 'panel upload', onsubmit: async (e) => {
    e.preventDefault();
    const file = chooser.files[0];
    if (!file) { showError(form, { code: 'BAD_USER_INPUT', field: 'file', message: 'Choose a file first.' }); return; }
    if (file.type.startsWith('image/') && !alt.value.trim()) { showError(form, { code: 'BAD_USER_INPUT', field: 'alt', message: 'Describe the image first, for people who cannot see it.' }); return; }
    try { await upload(file, alt.value.trim() || null); say(`Uploaded ${file.name}.`); reload(); } catch (error) { showError(form, error); }
  } }, h('h2', {}, 'Upload a file'),
  field('File', chooser, { name: 'file', hint: 'PDF, PNG, JPEG, WebP, GIF or AVIF. Choose a file, or drop one here.' }),
  field('Alt text', alt, { name: 'alt', hint: 'For images: what the image shows.' }),
  h('button', { type: 'submit', class: 'primary' }, 'Upload'));
  dropZone(form, (file) => { const dt = new DataTransfer(); dt.items.add(file); chooser.files = dt.files; });
  return form;
}
