// An example front-end for Quire: the example organisation's site, rendered in the browser
// from Quire's public GraphQL API. No build step: plain JavaScript modules.
//
// Quire's address comes from `?api=` (default http://127.0.0.1:8080/graphql). Addresses are
// the `url` fields Quire makes from its URL patterns; on this site they are shown under `#`
// so that any static file server can serve it.

const api = new URLSearchParams(location.search).get("api") || "http://127.0.0.1:8080/graphql";
let site = { name: "", url: "" };

async function query(text, variables = {}) {
  const response = await fetch(api, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query: text, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

/** A Quire `url` as a link on this site: the path under the site's base URL, after `#`. */
function local(url) {
  if (!url) return "#/";
  const base = site.url || "";
  if (base && url.startsWith(base)) return "#" + (url.slice(base.length) || "/");
  if (url.startsWith("/")) return "#" + url;
  return url;
}

/** A file URL from Quire: relative to Quire's address unless Quire knows its public URL. */
function fileUrl(url) {
  return url ? new URL(url, api).href : "";
}

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function date(iso) {
  return iso ? new Date(iso).toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" }) : "";
}

const SEO = "seo { title description canonicalUrl noIndex image { url } }";

/** Fills `<head>` from an item's `seo`. */
function head(seo) {
  document.title = seo.title === site.name ? site.name : `${seo.title} – ${site.name}`;
  const set = (selector, attribute, value) => document.querySelector(selector).setAttribute(attribute, value || "");
  set('meta[name="description"]', "content", seo.description);
  set('link[rel="canonical"]', "href", seo.canonicalUrl);
  set('meta[property="og:title"]', "content", seo.title);
  set('meta[property="og:description"]', "content", seo.description);
  set('meta[property="og:image"]', "content", fileUrl(seo.image?.url));
  set('meta[name="robots"]', "content", seo.noIndex ? "noindex" : "index");
}

function menu(items) {
  return items
    .map((item) => {
      const children = item.children?.length ? `<ul>${menu(item.children)}</ul>` : "";
      return `<li><a href="${esc(local(item.url))}">${esc(item.label)}</a>${children}</li>`;
    })
    .join("");
}

const MENU_ITEMS = "items { label url children { label url } }";

async function frame() {
  const data = await query(`{
    siteSettings { name tagline url socialLinks { label url } }
    header: menu(name: "header") { ${MENU_ITEMS} }
    footer: menu(name: "footer") { ${MENU_ITEMS} }
  }`);
  site = data.siteSettings;
  document.getElementById("brand").textContent = site.name;
  document.getElementById("header-menu").innerHTML = menu(data.header?.items ?? []);
  document.getElementById("footer-menu").innerHTML = menu(data.footer?.items ?? []);
  document.getElementById("tagline").textContent = site.tagline ?? "";
}

const pages = {
  async home() {
    const data = await query(`{
      siteSettings { homePage { title bodyHtml ${SEO}
        related { ... on Booklet { title summary url cover { url alt } } } } }
      testimonials(filter: { featured: true }) { nodes { quote authorName authorRole organisation } }
      pressReleases(first: 1) { nodes { title summary url publishedAt } }
      news(first: 3) { nodes { title summary url publishedAt } }
    }`);
    const home = data.siteSettings.homePage;
    if (!home) return notFound("/");
    head(home.seo);
    const booklets = home.related.filter((r) => r.title);
    return `
      <h1>${esc(home.title)}</h1>
      ${home.bodyHtml ?? ""}
      ${booklets.map((b) => `<section class="card booklet"><h2>Download: ${esc(b.title)}</h2><p>${esc(b.summary)}</p><a href="${esc(local(b.url))}">Get the booklet</a></section>`).join("")}
      <h2>What headteachers say</h2>
      <ul class="cards">${data.testimonials.nodes.map((t) => `<li class="card"><blockquote>“${esc(t.quote)}”</blockquote><p>— ${esc(t.authorName)}${t.authorRole ? `, ${esc(t.authorRole)}` : ""}${t.organisation ? `, ${esc(t.organisation)}` : ""}</p></li>`).join("")}</ul>
      <h2>Latest press release</h2>
      ${cards(data.pressReleases.nodes)}
      <h2>Latest news</h2>
      ${cards(data.news.nodes)}
      <section class="card"><h2>Newsletter</h2>
        <form id="newsletter"><label for="email">Email</label>
          <input id="email" name="email" type="email" required autocomplete="email">
          <button>Sign up</button><p role="status" id="newsletter-status"></p></form></section>`;
  },

  async news() {
    const data = await query(`{ news(first: 20) { nodes { title summary url publishedAt } } }`);
    head({ title: "News", description: `News from ${site.name}` });
    return `<h1>News</h1>${cards(data.news.nodes)}`;
  },

  async press() {
    const data = await query(`{ pressReleases(first: 20) { nodes { title summary url publishedAt } } }`);
    head({ title: "Press releases", description: `Press releases from ${site.name}` });
    return `<h1>Press releases</h1>${cards(data.pressReleases.nodes)}`;
  },

  async newsArticle(slug) {
    const { newsArticle: a } = await query(`query($slug: String!) { newsArticle(slug: $slug) {
      title bodyHtml publishedAt authorName tags ${SEO} related { ... on PressRelease { title url } ... on NewsArticle { title url } } } }`, { slug });
    if (!a) return null;
    head(a.seo);
    return `<article><h1>${esc(a.title)}</h1><p class="meta">${date(a.publishedAt)}${a.authorName ? ` · ${esc(a.authorName)}` : ""}</p>
      ${a.bodyHtml ?? ""}${related(a.related)}</article>`;
  },

  async pressRelease(slug) {
    const { pressRelease: p } = await query(`query($slug: String!) { pressRelease(slug: $slug) {
      title bodyHtml publishedAt location notesToEditorsHtml ${SEO} related { ... on NewsArticle { title url } } } }`, { slug });
    if (!p) return null;
    head(p.seo);
    return `<article><p class="meta">Press release · ${p.location ? `${esc(p.location)}, ` : ""}${date(p.publishedAt)}</p><h1>${esc(p.title)}</h1>
      ${p.bodyHtml ?? ""}
      ${p.notesToEditorsHtml ? `<section class="notes"><h2>Notes to editors</h2>${p.notesToEditorsHtml}</section>` : ""}
      ${related(p.related)}</article>`;
  },

  async booklet(slug) {
    const { booklet: b } = await query(`query($slug: String!) { booklet(slug: $slug) {
      title bodyHtml ${SEO} file { url filename byteSize pageCount } cover { url alt } } }`, { slug });
    if (!b) return null;
    head(b.seo);
    const file = b.file;
    return `<article><h1>${esc(b.title)}</h1>
      ${b.cover ? `<img class="cover" src="${esc(fileUrl(b.cover.url))}" alt="${esc(b.cover.alt)}">` : ""}
      ${b.bodyHtml ?? ""}
      ${file ? `<p><a class="download" href="${esc(fileUrl(file.url))}" download>Download ${esc(file.filename)} (PDF, ${Math.round(file.byteSize / 1024)} KB${file.pageCount ? `, ${file.pageCount} pages` : ""})</a></p>` : ""}</article>`;
  },

  async page(path) {
    const { page: p } = await query(`query($path: String!) { page(path: $path) {
      title bodyHtml ${SEO} children { title summary url } } }`, { path });
    if (!p) return null;
    head(p.seo);
    return `<article><h1>${esc(p.title)}</h1>${p.bodyHtml ?? ""}
      ${p.children.length ? `<ul class="cards">${p.children.map((c) => `<li class="card"><h3><a href="${esc(local(c.url))}">${esc(c.title)}</a></h3><p>${esc(c.summary)}</p></li>`).join("")}</ul>` : ""}</article>`;
  },
};

function cards(items) {
  return `<ul class="cards">${items.map((i) => `<li class="card"><h3><a href="${esc(local(i.url))}">${esc(i.title)}</a></h3><p class="meta">${date(i.publishedAt)}</p><p>${esc(i.summary)}</p></li>`).join("")}</ul>`;
}

function related(items) {
  const shown = items.filter((i) => i.title);
  return shown.length ? `<aside><h2>Related</h2><ul>${shown.map((i) => `<li><a href="${esc(local(i.url))}">${esc(i.title)}</a></li>`).join("")}</ul></aside>` : "";
}

/** A path this site does not know: Quire may know where it went. */
async function notFound(path) {
  const { redirect } = await query(`query($path: String!) { redirect(path: $path) { to } }`, { path });
  if (redirect) {
    location.replace(local(redirect.to));
    return "<p>Moved…</p>";
  }
  head({ title: "Page not found", description: "", noIndex: true });
  return `<h1>Page not found</h1><p>There is nothing at <code>${esc(path)}</code>. <a href="#/">Go to the home page</a>.</p>`;
}

/** The site's routes: the example site's URL patterns (Quire's defaults). */
async function route(path) {
  const parts = path.split("/").filter(Boolean);
  const [first, second] = parts;
  if (!first) return pages.home();
  if (first === "news" && !second) return pages.news();
  if (first === "press" && !second) return pages.press();
  if (first === "news" && parts.length === 2) return pages.newsArticle(second);
  if (first === "press" && parts.length === 2) return pages.pressRelease(second);
  if (first === "booklets" && parts.length === 2) return pages.booklet(second);
  return pages.page(parts.join("/"));
}

async function render() {
  const path = decodeURIComponent(location.hash.replace(/^#/, "")) || "/";
  const main = document.getElementById("main");
  try {
    const html = (await route(path)) ?? (await notFound(path));
    main.innerHTML = html;
    document.body.dataset.rendered = path;
  } catch (error) {
    main.innerHTML = `<h1>Something went wrong</h1><p>${esc(error.message)}</p>`;
    document.body.dataset.rendered = "error";
  }
}

// The newsletter sign-up: Quire mails a confirmation link.
document.addEventListener("submit", async (event) => {
  if (event.target.id !== "newsletter") return;
  event.preventDefault();
  const status = document.getElementById("newsletter-status");
  try {
    await query(`mutation($email: String!) { subscribeToNewsletter(email: $email) }`, { email: event.target.email.value });
    status.textContent = "Thank you: check your inbox for a link to confirm.";
  } catch (error) {
    status.textContent = error.message;
  }
});

window.addEventListener("hashchange", render);
frame().then(render, (error) => {
  document.getElementById("main").innerHTML = `<h1>Quire is not answering</h1><p>${esc(error.message)} (${esc(api)})</p>`;
  document.body.dataset.rendered = "error";
});
