//! `renderMarkdown`: the live preview of an editor's Markdown, rendered as saving renders it.

use async_graphql::{Context, Object};

use super::context;
use quire_core::content::markdown;

#[derive(Default)]
pub struct MarkdownQuery;

#[Object]
impl MarkdownQuery {
    /// Markdown rendered to sanitised HTML exactly as saving renders `body` into
    /// `bodyHtml` (staff only): a live preview while writing.
    async fn render_markdown(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The Markdown to render, as long as a body may be.")] markdown: String,
    ) -> async_graphql::Result<String> {
        Ok(markdown::preview(&context::actor(ctx)?, &markdown)?)
    }
}
