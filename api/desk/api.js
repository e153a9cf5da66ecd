// Talking to Quire: GraphQL over HTTP with the session token in the Authorization header.
// The token lives in sessionStorage (this tab only), never in a cookie or a URL.

const KEY = 'quire.session';

export class GraphQLError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join('; '));
    this.errors = errors;
    const first = errors[0] || {};
    this.code = first.extensions?.code || 'INTERNAL_SERVER_ERROR';
    this.field = first.extensions?.field || null;
  }
}

let onSignedOut = () => {};
export function whenSignedOut(callback) { onSignedOut = callback; }

export function token() { return sessionStorage.getItem(KEY); }
export function setToken(value) {
  if (value) sessionStorage.setItem(KEY, value); else sessionStorage.removeItem(KEY);
}

function headers(extra = {}) {
  const result = { Accept: 'application/graphql-response+json, application/json', ...extra };
  const t = token();
  if (t) result.Authorization = `Bearer ${t}`;
  return result;
}

async function answer(response) {
  let body;
  try { body = await response.json(); } catch {
    throw new GraphQLError([{ message: `The server answered ${response.status}.`, extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
  }
  if (body.errors?.length) {
    const error = new GraphQLError(body.errors);
    if (error.code === 'UNAUTHENTICATED' && token()) { setToken(null); onSignedOut(); }
    throw error;
  }
  return body.data;
}

/** Runs one operation; resolves to `data`, or throws a GraphQLError. */
export async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new GraphQLError([{ message: 'Quire cannot be reached: check the connection.', extensions: { code: 'NETWORK' } }]);
  }
  return answer(response);
}

export const ASSET_FIELDS = 'id url filename mimeType byteSize alt width height pageCount createdAt';

/** Uploads one file with the GraphQL multipart request spec. */
export async function upload(file, alt) {
  const form = new FormData();
  form.append('operations', JSON.stringify({
    query: `mutation($file: Upload!, $alt: String) { uploadAsset(file: $file, alt: $alt) { ${ASSET_FIELDS} } }`,
    variables: { file: null, alt: alt || null },
  }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', file, file.name);
  const response = await fetch('/graphql', { method: 'POST', headers: headers(), body: form });
  return (await answer(response)).uploadAsset;
}

/** A file Quire serves to admins only, fetched with the token. */
export async function download(path) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) throw new GraphQLError([{ message: `The download failed (${response.status}).`, extensions: { code: 'FORBIDDEN' } }]);
  return response.blob();
}

/** Who is signed in, and whether the open form has unsaved changes. */
export const state = {
  me: null,
  dirty: false,
  /** Editors and admins publish, schedule, delete and upload; authors do not. */
  canPublish() { return Boolean(this.me) && this.me.role !== 'AUTHOR'; },
  isAdmin() { return this.me?.role === 'ADMIN'; },
};
