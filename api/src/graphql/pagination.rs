//! Pages from the core's lists as Relay connections. The rules (sizes, cursors, the
//! `first`/`after`/`last`/`before` checks) are the core's [`quire_core::pagination`].

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{ObjectType, OutputType};
use quire_core::pagination::Page;

/// A page as a connection, each item wrapped by `node`.
pub fn connection<T, N: OutputType>(
    page: Page<T>,
    node: impl FnMut(T) -> N,
) -> Connection<String, N> {
    connection_with(page, EmptyFields, node)
}

/// A page as a connection with `fields` beside its edges (such as `totalCount`).
pub fn connection_with<T, N: OutputType, F: ObjectType>(
    page: Page<T>,
    fields: F,
    mut node: impl FnMut(T) -> N,
) -> Connection<String, N, F> {
    let mut connection =
        Connection::with_additional_fields(page.has_previous_page, page.has_next_page, fields);
    connection
        .edges
        .extend(page.items.into_iter().map(|(cursor, item)| Edge::new(cursor, node(item))));
    connection
}
