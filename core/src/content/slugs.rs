//! Slugs: made from titles (Unicode folded to ASCII), or given and checked.

use crate::error::{ApiError, ApiResult};

pub const MAX_LEN: usize = 120;

/// A slug from a title: lowercase ASCII words joined by `-`, cut at a word boundary.
pub fn from_title(title: &str) -> ApiResult<String> {
    let mut slug = slug::slugify(title);
    if slug.len() > MAX_LEN {
        let cut = slug[..MAX_LEN].rfind('-').unwrap_or(MAX_LEN);
        slug.truncate(cut);
    }
    if slug.is_empty() {
        return Err(ApiError::bad_input(
            "slug",
            "no slug can be made from this title: give one (letters, digits and hyphens)",
        ));
    }
    Ok(slug)
}

/// Checks a slug given by a client; it is never rewritten silently.
pub fn check(slug: &str) -> ApiResult<String> {
    let valid = !slug.is_empty()
        && slug.len() <= MAX_LEN
        && slug.split('-').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if valid {
        Ok(slug.to_string())
    } else {
        Err(ApiError::bad_input(
            "slug",
            format!(
                "a slug is 1 to {MAX_LEN} lowercase letters, digits and single hyphens, like `our-news`"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_unicode_to_ascii() {
        assert_eq!(
            from_title("Café crème – Été 2014!").ok().as_deref(),
            Some("cafe-creme-ete-2014")
        );
        assert_eq!(
            from_title("The Successful Teaching & Learning programme").ok().as_deref(),
            Some("the-successful-teaching-learning-programme")
        );
    }

    #[test]
    fn long_titles_are_cut_at_a_word() {
        let slug = from_title(&"word ".repeat(60)).unwrap_or_default();
        assert!(slug.len() <= MAX_LEN && !slug.ends_with('-'));
    }

    #[test]
    fn titles_without_letters_need_a_slug() {
        assert!(from_title("!!!").is_err());
    }

    #[test]
    fn checks_given_slugs() {
        assert!(check("about-us").is_ok());
        assert!(check("9-pillars").is_ok());
        for bad in ["", "About", "a--b", "-a", "a-", "a b", "a/b", "ü"] {
            assert!(check(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
