//! `search(query:)`: full-text search over every kind of content, best matches first.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object};

use super::context;
use super::node::Node;
use super::pagination::{self, connection};
use super::types::ContentTypeEnum;
use quire_core::content::ContentType;
use quire_core::pagination::LISTS;
use quire_core::search::{self, Cursor, Hit, Search};

pub struct SearchHit(Hit);

/// One search result: the item, how well it matches, and an extract around the match.
#[Object]
impl SearchHit {
    /// The matching item.
    async fn node(&self) -> Node {
        Node::from(self.0.item.clone())
    }

    /// How well the item matches: higher is better. Comparable only within one search.
    async fn score(&self) -> f64 {
        self.0.score
    }

    /// A short extract of the item's text (its Markdown as written) around the matching
    /// words, as HTML: the matches are wrapped in `<mark>…</mark>` and everything else is
    /// escaped, so it is safe to insert into a page as it is.
    async fn snippet(&self) -> Option<&str> {
        self.0.snippet.as_deref()
    }
}

fn kind(value: ContentTypeEnum) -> ContentType {
    match value {
        ContentTypeEnum::Page => ContentType::Page,
        ContentTypeEnum::NewsArticle => ContentType::NewsArticle,
        ContentTypeEnum::PressRelease => ContentType::PressRelease,
        ContentTypeEnum::Testimonial => ContentType::Testimonial,
        ContentTypeEnum::Booklet => ContentType::Booklet,
    }
}

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Searches the titles, summaries and bodies of content (testimonials: the quote, the
    /// author's name and the organisation), best matches first; titles weigh most, then
    /// summaries, then bodies. Every word must match, in any form of it ("school" finds
    /// "schools"); `"quoted words"` must appear together in that order; a word ending in
    /// `*` matches every word that starts with it (`pill*`). There are no operators:
    /// other punctuation only separates words. The public finds published content only;
    /// signed-in staff find everything but the trash.
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "What to look for: words, \"phrases\" and prefixes (`pill*`); at most 200 characters, with at least one letter or digit."
        )]
        query: String,
        #[graphql(
            desc = "Only these kinds of content; every kind when left out (an empty list finds nothing)."
        )]
        types: Option<Vec<ContentTypeEnum>>,
        #[graphql(desc = "Hits to return: 20 by default, 100 at most.")] first: Option<i32>,
        #[graphql(
            desc = "Return the hits after this cursor (a previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> async_graphql::Result<Connection<pagination::Cursor, SearchHit>> {
        let limit = LISTS.check(first, "first")?;
        let search = Search {
            terms: search::query::parse(&query)?,
            viewer: context::viewer(ctx)?,
            types: types.map(|types| types.into_iter().map(kind).collect()),
            after: after.as_deref().map(Cursor::decode).transpose()?,
            limit,
        };
        Ok(connection(search::run(context::db(ctx)?.conn(), &search).await?, SearchHit))
    }
}
