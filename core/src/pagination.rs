//! Keyset pagination in one place: the page sizes, the checks of `first`, `after`, `last`
//! and `before`, and the cursors. A cursor is opaque to clients: the base64url of a
//! position as JSON (a sort value and an id, a version). The change feed's cursors keep an
//! older form of their own, since clients store them. Lists fetch one row more than a page
//! holds, so whether another page follows costs nothing.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};

/// How many items a page holds when the client does not say, and how many it may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub default: u64,
    pub min: u64,
    pub max: u64,
}

/// Every list: 20 by default, 0 to 100.
pub const LISTS: Sizes = Sizes { default: 20, min: 0, max: 100 };

/// The change feed, `changes`: 100 by default, 1 to 500.
pub const CHANGES: Sizes = Sizes { default: 100, min: 1, max: 500 };

impl Sizes {
    /// A page size argument (`first`, `last`), checked; the default when left out.
    pub fn check(self, size: Option<i32>, field: &str) -> ApiResult<u64> {
        let Some(size) = size else { return Ok(self.default) };
        let refuse = |message: String| Err(ApiError::bad_input(field, message));
        match u64::try_from(size) {
            Ok(n) if (self.min..=self.max).contains(&n) => Ok(n),
            // The change feed's words, as its clients have always read them.
            _ if self.min > 0 => refuse(format!("must be {} to {}", self.min, self.max)),
            Err(_) => refuse(format!("`{field}` must not be negative")),
            Ok(_) => refuse(format!("`{field}` is at most {}", self.max)),
        }
    }
}

/// The cursor of a position.
pub fn encode<P: Serialize>(position: &P) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(position).unwrap_or_default())
}

/// The position inside a cursor that [`encode`] made; anything else is bad input in
/// `field`.
pub fn decode<P: DeserializeOwned>(raw: &str, field: &str) -> ApiResult<P> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| ApiError::bad_input(field, "this cursor is not valid"))
}

const CHANGE_PREFIX: &str = "change:";

/// The cursor of a position in the change journal, for `changes`.
pub fn encode_change(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CHANGE_PREFIX}{seq}"))
}

/// The journal position inside a cursor from `changes`, given as `after`.
pub fn decode_change(raw: &str) -> ApiResult<i64> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix(CHANGE_PREFIX)?.parse().ok())
        .filter(|seq| *seq >= 0)
        .ok_or_else(|| ApiError::bad_input("after", "this is not a cursor from `changes`"))
}

/// `first` and `after` as the client gave them. A service checks them itself once it has
/// checked the caller, so that a caller without the right hears that first.
#[derive(Debug, Clone, Default)]
pub struct Forward {
    pub first: Option<i32>,
    pub after: Option<String>,
}

impl Forward {
    /// The size, then the cursor.
    pub fn check<P: DeserializeOwned>(self) -> ApiResult<Window<P>> {
        let limit = LISTS.check(self.first, "first")?;
        let cursor = self.after.as_deref().map(|raw| decode(raw, "after")).transpose()?;
        Ok(Window { backward: false, limit, cursor })
    }
}

/// Which part of a list to read: `limit` items after the position `cursor`, or before it
/// when `backward`.
#[derive(Debug, Clone)]
pub struct Window<P> {
    pub backward: bool,
    pub limit: u64,
    pub cursor: Option<P>,
}

impl<P: DeserializeOwned> Window<P> {
    /// `first`/`after` or `last`/`before`, checked.
    pub fn from_args(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<Window<P>> {
        let refuse = |field: &str, message: &str| Err(ApiError::bad_input(field, message));
        if first.is_some() && last.is_some() {
            return refuse("last", "give `first` or `last`, not both");
        }
        if after.is_some() && before.is_some() {
            return refuse("before", "give `after` or `before`, not both");
        }
        // A cursor of the other direction would be ignored silently: refuse it instead.
        if first.is_some() && before.is_some() {
            return refuse("before", "`before` goes with `last`; use `first` with `after`");
        }
        if last.is_some() && after.is_some() {
            return refuse("after", "`after` goes with `first`; use `last` with `before`");
        }
        let backward = last.is_some() || before.is_some();
        let (size, size_field) = if backward { (last, "last") } else { (first, "first") };
        let limit = LISTS.check(size, size_field)?;
        let (cursor, cursor_field) = if backward { (before, "before") } else { (after, "after") };
        let cursor = cursor.as_deref().map(|raw| decode(raw, cursor_field)).transpose()?;
        Ok(Window { backward, limit, cursor })
    }
}

impl<P> Window<P> {
    /// How many rows to fetch: one more than the page holds, to learn whether more follow.
    pub fn fetch(&self) -> u64 {
        self.limit + 1
    }

    /// The page of `rows`, fetched with [`Window::fetch`] in the window's direction (so in
    /// reverse when backward), each with the cursor of its `position`.
    pub fn page<T, Q>(&self, mut rows: Vec<T>, position: impl Fn(&T) -> Q) -> Page<T>
    where
        Q: Serialize + Send + Sync + 'static,
    {
        let has_more = rows.len() as u64 > self.limit;
        rows.truncate(usize::try_from(self.limit).unwrap_or(usize::MAX));
        if self.backward {
            rows.reverse();
        }
        let has_cursor = self.cursor.is_some();
        Page {
            items: rows.into_iter().map(|row| (Position::new(position(&row)), row)).collect(),
            has_previous_page: if self.backward { has_more } else { has_cursor },
            has_next_page: if self.backward { has_cursor } else { has_more },
        }
    }
}

/// An item's place in a list, made into a cursor only if a client asks for it: most
/// lists are read without their cursors, and encoding one is JSON, then base64.
pub struct Position(Box<dyn Fn() -> String + Send + Sync>);

impl Position {
    pub fn new<Q: Serialize + Send + Sync + 'static>(position: Q) -> Position {
        Position(Box::new(move || encode(&position)))
    }

    /// The cursor, as [`encode`] makes it.
    pub fn cursor(&self) -> String {
        (self.0)()
    }
}

impl std::fmt::Debug for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.cursor())
    }
}

/// A page of a list: its items, each with its position, in list order.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<(Position, T)>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn sizes_have_defaults_and_limits() {
        assert_eq!(LISTS.check(None, "first").unwrap(), 20);
        assert_eq!(LISTS.check(Some(0), "first").unwrap(), 0);
        assert_eq!(LISTS.check(Some(100), "first").unwrap(), 100);
        assert!(LISTS.check(Some(101), "first").is_err());
        assert!(LISTS.check(Some(-1), "first").is_err());
        assert_eq!(CHANGES.check(None, "first").unwrap(), 100);
        assert_eq!(CHANGES.check(Some(500), "first").unwrap(), 500);
        assert!(CHANGES.check(Some(0), "first").is_err());
        assert!(CHANGES.check(Some(501), "first").is_err());
        let refused = LISTS.check(Some(101), "last").unwrap_err();
        assert_eq!((refused.code(), refused.field()), ("BAD_USER_INPUT", Some("last")));
    }

    #[test]
    fn windows_are_checked() {
        let w = Window::<Uuid>::from_args(None, None, None, None).unwrap();
        assert_eq!((w.backward, w.limit), (false, LISTS.default));
        assert!(Window::<Uuid>::from_args(Some(101), None, None, None).is_err());
        assert!(Window::<Uuid>::from_args(Some(100), None, None, None).is_ok());
        assert!(Window::<Uuid>::from_args(None, None, Some(101), None).is_err());
        assert!(Window::<Uuid>::from_args(Some(-1), None, None, None).is_err());
        assert!(Window::<Uuid>::from_args(Some(1), None, Some(1), None).is_err());
        assert!(Window::<Uuid>::from_args(None, Some("garbage".into()), None, None).is_err());
        let before = encode(&Uuid::now_v7());
        let w = Window::<Uuid>::from_args(None, None, None, Some(before)).unwrap();
        assert!(w.backward && w.cursor.is_some());
    }

    #[test]
    fn cursors_keep_their_wire_form() {
        // Clients hold cursors: these are the forms they were given.
        assert_eq!(encode(&7), "Nw");
        assert_eq!(decode::<i32>("Nw", "after").unwrap(), 7);
        assert_eq!(encode_change(42), "Y2hhbmdlOjQy");
        assert_eq!(decode_change("Y2hhbmdlOjQy").unwrap(), 42);
        assert!(decode_change(&encode(&42)).is_err());
        assert_eq!(decode::<i32>("garbage", "before").unwrap_err().field(), Some("before"));
    }

    #[test]
    fn pages_know_what_lies_around_them() {
        let forward = Forward { first: Some(2), after: None }.check::<i32>().unwrap();
        let page = forward.page(vec![3, 2, 1], |n| *n);
        assert_eq!(page.items.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [3, 2]);
        assert_eq!(page.items[0].0.cursor(), encode(&3));
        assert!(!page.has_previous_page && page.has_next_page);
        let backward = Window { backward: true, limit: 2, cursor: Some(9) };
        let page = backward.page(vec![8, 7, 6], |n| *n);
        assert_eq!(page.items.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [7, 8]);
        assert!(page.has_previous_page && page.has_next_page);
    }
}
