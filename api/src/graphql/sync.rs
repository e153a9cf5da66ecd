//! Delta sync (`changes`) and live updates (`contentChanged`): both speak of `Change`s read
//! from the change journal.

use std::sync::Arc;

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Enum, ID, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::context;
use super::context::WsCredentials;
use super::ids;
use super::node::Node;
use super::types::ContentTypeEnum;
use quire_core::content::history::type_name;
use quire_core::content::{ContentType, sync};
use quire_core::db::Db;
use quire_core::error::ApiError;
use quire_core::live::{Delivery, Live};
use quire_core::pagination::{CHANGES, decode_change, encode_change};

/// What became of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ChangeKind {
    /// Created or changed: `node` holds it as it is now.
    Upserted,
    /// Gone for you: deleted, or (for the public) no longer published. Remove your copy.
    Deleted,
}

/// One item's latest change.
pub struct Change(Arc<sync::Change>);

/// One item's latest change.
#[Object]
impl Change {
    /// Pass to `changes(after:)` to continue from here.
    async fn cursor(&self) -> String {
        encode_change(self.0.seq)
    }

    /// The item's global id (also for deleted items).
    async fn id(&self) -> ID {
        ids::encode(type_name(self.0.content_type), self.0.content_id)
    }

    /// What kind of content the item is.
    async fn content_type(&self) -> ContentTypeEnum {
        self.0.content_type.into()
    }

    /// Whether the item is there for you or gone.
    async fn kind(&self) -> ChangeKind {
        if self.0.item.is_some() { ChangeKind::Upserted } else { ChangeKind::Deleted }
    }

    /// When the change was made.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// The item as it is now; null when deleted.
    async fn node(&self) -> Option<Node> {
        self.0.item.clone().map(Node::from)
    }
}

/// A page of changes, oldest first.
#[derive(SimpleObject)]
pub struct ChangeConnection {
    /// The changes, oldest first.
    pub nodes: Vec<Change>,
    /// `endCursor` is where the next sync starts; it stays where it was when nothing changed.
    pub page_info: PageInfo,
}

#[derive(Default)]
pub struct SyncQuery;

#[Object]
impl SyncQuery {
    /// Everything that changed after `after` (from the beginning without it), oldest first,
    /// one entry per item at its latest change. Apply each page in order and keep
    /// `pageInfo.endCursor`; repeat while `hasNextPage`. The public sees published content
    /// only, and an item that leaves public view arrives as `DELETED`.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Changes after this cursor (the last sync's `pageInfo.endCursor`); from the beginning when left out."
        )]
        after: Option<String>,
        #[graphql(desc = "How many changes, 1 to 500; 100 by default.")] first: Option<i32>,
        #[graphql(desc = "Only these kinds of content; all kinds when left out.")] types: Option<
            Vec<ContentTypeEnum>,
        >,
    ) -> async_graphql::Result<ChangeConnection> {
        let first = CHANGES.check(first, "first")?;
        let from = after.as_deref().map(decode_change).transpose()?;
        let types: Vec<ContentType> =
            types.unwrap_or_default().into_iter().map(Into::into).collect();
        let page = sync::after(
            context::reads(ctx)?,
            context::viewer(ctx)?,
            from.unwrap_or(0),
            first,
            &types,
        )
        .await?;
        let end_cursor = page.changes.last().map(|c| encode_change(c.seq)).or(after);
        Ok(ChangeConnection {
            page_info: PageInfo {
                has_previous_page: from.is_some_and(|seq| seq > 0),
                has_next_page: page.has_next_page,
                start_cursor: page.changes.first().map(|c| encode_change(c.seq)),
                end_cursor,
            },
            nodes: page.changes.into_iter().map(|change| Change(Arc::new(change))).collect(),
        })
    }
}

#[derive(Default)]
pub struct Subscriptions;

/// Live updates, over a WebSocket at `/graphql/ws`.
#[Subscription(name = "Subscription")]
impl Subscriptions {
    /// Each change as it commits, in order. The public hears only of published content
    /// (an item leaving public view arrives as `DELETED`). A client that falls far behind
    /// misses changes: catch up with `changes(after:)` from the last cursor seen.
    async fn content_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only these kinds of content; all kinds when left out.")] types: Option<
            Vec<ContentTypeEnum>,
        >,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Change>> + use<>> {
        let db: Db = context::db(ctx)?.clone();
        let viewer = context::viewer(ctx)?;
        let credentials = ctx.data_opt::<WsCredentials>().and_then(|c| c.0.clone());
        let types: Vec<ContentType> =
            types.unwrap_or_default().into_iter().map(Into::into).collect();
        let live = ctx
            .data::<Live>()
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("live events are not set up")))?
            .clone();
        let events = live.subscribe();
        Ok(futures_util::stream::unfold(Some(events), move |events| {
            let db = db.clone();
            let live = live.clone();
            let types = types.clone();
            let credentials = credentials.clone();
            async move {
                let mut events = events?;
                loop {
                    let event = match events.recv().await {
                        Ok(event) => event,
                        Err(RecvError::Lagged(missed)) => {
                            // Said, then ended: the client catches up with `changes`.
                            tracing::warn!(missed, "a subscriber fell behind");
                            let error = ApiError::Conflict(format!(
                                "{missed} changes were missed: catch up with changes(after:) from the last cursor"
                            ));
                            return Some((Err(error.into()), None));
                        }
                        Err(RecvError::Closed) => return None,
                    };
                    if !types.is_empty() && !types.contains(&event.content_type) {
                        continue;
                    }
                    // Loaded once per change for all subscribers who see it alike.
                    let fanout = live.fanout();
                    match fanout.deliver(&db, viewer, credentials.as_deref(), &event).await {
                        Delivery::Change(change) => {
                            return Some((Ok(Change(change)), Some(events)));
                        }
                        Delivery::End => return None,
                        Delivery::Skip => {}
                    }
                }
            }
        }))
    }
}
