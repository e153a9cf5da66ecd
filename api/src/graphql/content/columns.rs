//! Which columns a list or a lookup by slug or path reads, from the fields its query asks
//! for. A field named here is
//! known to read only the columns beside it (besides [`Columns::ALWAYS`], which every read
//! has); a list whose items ask for any other field reads every column but the long texts,
//! and the long texts only when asked for.

use async_graphql::{Context, SelectionField};
use quire_core::content::rows::Columns;
use quire_entity::content_item::Column;

const NONE: Columns = Columns::of(&[]);

/// The fields that read no more than the columns beside them. `tags`, `children`,
/// `related` and `parent`'s lookup go by the item's id; `url` is made of the columns every
/// read has.
pub const NARROW_FIELDS: &[(&str, Columns)] = &[
    ("__typename", NONE),
    ("id", NONE),
    ("status", NONE),
    ("publishedAt", NONE),
    ("createdAt", NONE),
    ("updatedAt", NONE),
    ("version", NONE),
    ("slug", NONE),
    ("path", NONE),
    ("url", NONE),
    ("tags", NONE),
    ("children", NONE),
    ("related", NONE),
    ("title", Columns::of(&[Column::Title])),
    ("summary", Columns::of(&[Column::Summary])),
    ("body", Columns::of(&[Column::Body])),
    ("bodyHtml", Columns::of(&[Column::BodyHtml])),
    ("notesToEditors", Columns::of(&[Column::NotesToEditors])),
    ("notesToEditorsHtml", Columns::of(&[Column::NotesToEditorsHtml])),
    ("location", Columns::of(&[Column::Location])),
    ("authorName", Columns::of(&[Column::AuthorName])),
    ("heroImage", Columns::of(&[Column::HeroImageId])),
    ("quote", Columns::of(&[Column::Quote])),
    ("authorRole", Columns::of(&[Column::AuthorRole])),
    ("organisation", Columns::of(&[Column::Organisation])),
    ("featured", Columns::of(&[Column::Featured])),
    ("position", Columns::of(&[Column::Position])),
    ("parent", Columns::of(&[Column::ParentId])),
    ("seoTitle", Columns::of(&[Column::SeoTitle])),
    ("seoDescription", Columns::of(&[Column::SeoDescription])),
    ("downloadCount", Columns::of(&[Column::DownloadCount])),
    ("file", Columns::of(&[Column::FileId])),
    ("cover", Columns::of(&[Column::CoverId])),
    ("scheduledAt", Columns::of(&[Column::ScheduledAt])),
    ("scheduledAction", Columns::of(&[Column::ScheduledAction])),
    ("viewerMayEdit", Columns::of(&[Column::CreatedBy])),
];

/// What a list field's items ask for: the fields under `nodes` and `edges { node }`.
pub fn of_list(ctx: &Context<'_>) -> Columns {
    let list = ctx.look_ahead();
    let mut items = list.field("nodes").selection_fields();
    items.extend(list.field("edges").field("node").selection_fields());
    items
        .iter()
        .flat_map(SelectionField::selection_set)
        .fold(NONE, |columns, field| columns.and(of_field(field.name())))
}

/// What a lookup's item asks for: the fields under the lookup.
pub fn of_item(ctx: &Context<'_>) -> Columns {
    ctx.field().selection_set().fold(NONE, |columns, field| columns.and(of_field(field.name())))
}

/// The columns `field` reads: its own when it is known to need no more, else every one
/// but the long texts.
fn of_field(field: &str) -> Columns {
    NARROW_FIELDS
        .iter()
        .find(|(name, _)| *name == field)
        .map_or(Columns::ALL.without(Columns::TEXT), |(_, columns)| *columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_field_reads_all_but_the_long_texts() {
        assert_eq!(of_field("seo"), Columns::ALL.without(Columns::TEXT));
        assert_eq!(of_field("title"), Columns::of(&[Column::Title]));
        assert!(of_field("body").has(Column::Body));
    }
}
