//! Pages from the core's lists as Relay connections. The rules (sizes, cursors, the
//! `first`/`after`/`last`/`before` checks) are the core's [`quire_core::pagination`].

use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use async_graphql::{ObjectType, OutputType};
use quire_core::pagination::{Page, Position};

/// An edge's cursor, encoded only when a client asks for it (`cursor`, or `pageInfo`'s
/// `startCursor` and `endCursor`). Cursors come back as arguments and are decoded by the
/// core, never through this type.
pub struct Cursor(Position);

impl CursorType for Cursor {
    type Error = &'static str;

    fn decode_cursor(_: &str) -> Result<Self, Self::Error> {
        Err("cursors are read by quire_core::pagination")
    }

    fn encode_cursor(&self) -> String {
        self.0.cursor()
    }
}

/// A page as a connection, each item wrapped by `node`.
pub fn connection<T, N: OutputType>(
    page: Page<T>,
    node: impl FnMut(T) -> N,
) -> Connection<Cursor, N> {
    connection_with(page, EmptyFields, node)
}

/// A page as a connection with `fields` beside its edges (such as `totalCount`).
pub fn connection_with<T, N: OutputType, F: ObjectType>(
    page: Page<T>,
    fields: F,
    mut node: impl FnMut(T) -> N,
) -> Connection<Cursor, N, F> {
    let mut connection =
        Connection::with_additional_fields(page.has_previous_page, page.has_next_page, fields);
    connection
        .edges
        .extend(page.items.into_iter().map(|(cursor, item)| Edge::new(Cursor(cursor), node(item))));
    connection
}
