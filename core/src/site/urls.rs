//! Front-end addresses: each content type's URL pattern, filled in for one item.

use serde::{Deserialize, Serialize};

use crate::content::{ContentType, Item};
use crate::error::{ApiError, ApiResult};

/// The placeholders a pattern may use.
const PLACEHOLDERS: [&str; 6] = ["{slug}", "{path}", "{id}", "{year}", "{month}", "{day}"];

/// Where each content type is read on the front-end. Testimonials have no page of their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UrlPatterns {
    pub page: String,
    pub news_article: String,
    pub press_release: String,
    pub booklet: String,
}

impl Default for UrlPatterns {
    fn default() -> Self {
        UrlPatterns {
            page: "/{path}".into(),
            news_article: "/news/{slug}".into(),
            press_release: "/press/{slug}".into(),
            booklet: "/booklets/{slug}".into(),
        }
    }
}

/// Patterns an editor set; the others come from the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatternOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub news_article: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub press_release: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booklet: Option<String>,
}

impl PatternOverrides {
    pub fn over(&self, defaults: &UrlPatterns) -> UrlPatterns {
        let pick = |own: &Option<String>, default: &String| own.clone().unwrap_or(default.clone());
        UrlPatterns {
            page: pick(&self.page, &defaults.page),
            news_article: pick(&self.news_article, &defaults.news_article),
            press_release: pick(&self.press_release, &defaults.press_release),
            booklet: pick(&self.booklet, &defaults.booklet),
        }
    }

    /// Each pattern given is checked; `field` names the input for errors.
    pub fn check(&self) -> ApiResult<()> {
        for (name, pattern) in [
            ("page", &self.page),
            ("newsArticle", &self.news_article),
            ("pressRelease", &self.press_release),
            ("booklet", &self.booklet),
        ] {
            if let Some(pattern) = pattern {
                check_pattern(pattern).map_err(|message| {
                    ApiError::bad_input(format!("urlPatterns.{name}"), message)
                })?;
            }
        }
        Ok(())
    }
}

/// A pattern is a path (`/news/{slug}`) or a full `http(s)` URL that names its item by
/// `{slug}`, `{path}` or `{id}`, and uses no other placeholder than those listed.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    let trimmed = pattern.trim();
    if !(trimmed.starts_with('/')
        || trimmed.starts_with("https://")
        || trimmed.starts_with("http://"))
    {
        return Err("a pattern is a path starting with `/` or an http(s) URL".into());
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a pattern has no spaces".into());
    }
    if !["{slug}", "{path}", "{id}"].iter().any(|p| trimmed.contains(p)) {
        return Err("a pattern names its item with `{slug}`, `{path}` or `{id}`".into());
    }
    let mut rest = trimmed;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').map(|e| start + e + 1).ok_or("unclosed `{`")?;
        if !PLACEHOLDERS.contains(&&rest[start..end]) {
            return Err(format!(
                "unknown placeholder `{}`: use {}",
                &rest[start..end],
                PLACEHOLDERS.join(", ")
            ));
        }
        rest = &rest[end..];
    }
    if rest.contains('}') {
        return Err("unmatched `}`".into());
    }
    Ok(())
}

/// What an address is made from.
pub struct Place<'a> {
    pub id: uuid::Uuid,
    pub kind: ContentType,
    pub slug: Option<&'a str>,
    pub path: Option<&'a str>,
    /// Publication time (creation time for drafts), for `{year}`, `{month}` and `{day}`.
    pub date: chrono::DateTime<chrono::Utc>,
}

/// Whether `url` is a link Quire stores: at most 2,000 characters, without spaces or
/// control characters, starting with one of `prefixes`.
pub fn is_link(url: &str, prefixes: &[&str]) -> bool {
    url.len() <= 2000
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && prefixes.iter().any(|prefix| url.starts_with(prefix))
}

/// A full address on the web.
pub const WEB: &[&str] = &["https://", "http://"];

/// How front-end addresses are made: the patterns, the base URL and the home page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addresses {
    /// The front-end's base URL without a trailing slash; empty for paths only.
    pub base: String,
    pub patterns: UrlPatterns,
    pub home_page_id: Option<uuid::Uuid>,
}

impl Addresses {
    /// The item's front-end path (or full URL, when its pattern is one); `None` for
    /// testimonials, which have no page of their own.
    pub fn path(&self, item: &Item) -> Option<String> {
        let date = item.published_at.unwrap_or(item.created_at);
        let place = Place {
            id: item.id,
            kind: item.content_type,
            slug: item.slug.as_deref(),
            path: item.path.as_deref(),
            date,
        };
        self.path_of(&place)
    }

    /// The front-end path of an item known by the few columns an address needs.
    pub fn path_of(&self, place: &Place<'_>) -> Option<String> {
        if Some(place.id) == self.home_page_id {
            return Some("/".into());
        }
        let pattern = match place.kind {
            ContentType::Page => &self.patterns.page,
            ContentType::NewsArticle => &self.patterns.news_article,
            ContentType::PressRelease => &self.patterns.press_release,
            ContentType::Booklet => &self.patterns.booklet,
            ContentType::Testimonial => return None,
        };
        let id = place.id.to_string();
        let slug = place.slug.unwrap_or(&id);
        let path = place.path.unwrap_or(slug);
        Some(
            pattern
                .trim()
                .replace("{slug}", slug)
                .replace("{path}", path)
                .replace("{id}", &id)
                .replace("{year}", &place.date.format("%Y").to_string())
                .replace("{month}", &place.date.format("%m").to_string())
                .replace("{day}", &place.date.format("%d").to_string()),
        )
    }

    /// The item's full front-end address: its path on the base URL.
    pub fn url(&self, item: &Item) -> Option<String> {
        self.path(item).map(|path| self.absolute(&path))
    }

    /// A path on the front-end as a full address (a full URL stays as it is).
    pub fn absolute(&self, path: &str) -> String {
        if path.contains("://") {
            path.to_string()
        } else {
            format!("{}/{}", self.base, path.trim_start_matches('/'))
        }
    }

    /// The front-end path a client gave (`/news/a`, `news/a/`, or a full URL on the base),
    /// in the form redirects are stored: one leading `/`, no trailing one, no query.
    pub fn normalise_path(&self, given: &str) -> String {
        let given = given.trim();
        let without_base = match given.strip_prefix(self.base.as_str()) {
            Some(rest) if !self.base.is_empty() => rest,
            _ => given,
        };
        let path = without_base.split(['?', '#']).next().unwrap_or_default();
        format!("/{}", path.trim_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_must_name_their_item_and_use_known_placeholders() {
        assert!(check_pattern("/news/{slug}").is_ok());
        assert!(check_pattern("https://example.org/{year}/{month}/{slug}").is_ok());
        assert!(check_pattern("news/{slug}").is_err());
        assert!(check_pattern("/news").is_err());
        assert!(check_pattern("/news/{title}").is_err());
        assert!(check_pattern("/news/{slug").is_err());
        assert!(check_pattern("/news/{slug}}").is_err());
        assert!(check_pattern("javascript:{slug}").is_err());
    }

    #[test]
    fn paths_are_normalised_the_way_redirects_store_them() {
        let addresses = Addresses {
            base: "https://www.example.org".into(),
            patterns: UrlPatterns::default(),
            home_page_id: None,
        };
        assert_eq!(addresses.normalise_path("news/a/"), "/news/a");
        assert_eq!(addresses.normalise_path("https://www.example.org/news/a?x=1"), "/news/a");
        assert_eq!(addresses.normalise_path("/"), "/");
        assert_eq!(addresses.absolute("/news/a"), "https://www.example.org/news/a");
    }
}
