//! The trash: listing it, restoring from it, purging it.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object};

use super::context;
use super::node::Node;
use super::pagination::{Cursor, connection};
use quire_core::content::{trash, write};
use quire_core::pagination::Forward;

#[derive(Default)]
pub struct TrashQuery;

#[Object]
impl TrashQuery {
    /// Items in the trash, most recently deleted first (editors and admins).
    async fn trash(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return: 20 by default, 100 at most.")] first: Option<i32>,
        #[graphql(
            desc = "Return those after this cursor (a previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Node>> {
        let actor = context::actor(ctx)?;
        let items = trash::list(context::db(ctx)?.conn(), &actor, Forward { first, after }).await?;
        Ok(connection(items, Node::from))
    }
}

#[derive(Default)]
pub struct TrashMutation;

#[Object]
impl TrashMutation {
    /// Takes an item out of the trash (editors and admins).
    async fn restore_from_trash(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the item in the trash.")] id: ID,
    ) -> async_graphql::Result<Node> {
        let actor = context::actor(ctx)?;
        Ok(Node::from(write::restore_from_trash(context::db(ctx)?, &actor, &id).await?))
    }

    /// Deletes a trashed item for good (admins only). Its audit entries stay.
    async fn purge(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the item in the trash.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let actor = context::actor(ctx)?;
        write::purge(context::db(ctx)?, &actor, &id).await?;
        Ok(id)
    }
}
