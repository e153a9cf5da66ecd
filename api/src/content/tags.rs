//! News tags: normalised to lowercase, stored one row per tag.

use std::collections::HashMap;

use quire_entity::content_tag;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_LEN: usize = 50;

/// Trims, lowercases and de-duplicates tags, keeping their order.
pub fn normalise(tags: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > MAX_TAG_LEN {
            return Err(ApiError::bad_input(
                "tags",
                format!("a tag is 1 to {MAX_TAG_LEN} characters"),
            ));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(ApiError::bad_input("tags", format!("at most {MAX_TAGS} tags")));
    }
    Ok(out)
}

pub async fn replace(conn: &impl ConnectionTrait, id: Uuid, tags: &[String]) -> ApiResult<()> {
    content_tag::Entity::delete_many()
        .filter(content_tag::Column::ContentId.eq(id))
        .exec(conn)
        .await?;
    if tags.is_empty() {
        return Ok(());
    }
    let rows = tags
        .iter()
        .map(|tag| content_tag::ActiveModel { content_id: Set(id), tag: Set(tag.clone()) });
    content_tag::Entity::insert_many(rows).exec(conn).await?;
    Ok(())
}

/// Tags of many items in one query.
pub async fn of_items(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, Vec<String>>> {
    let rows = content_tag::Entity::find()
        .filter(content_tag::Column::ContentId.is_in(ids.iter().copied()))
        .order_by_asc(content_tag::Column::Tag)
        .all(conn)
        .await?;
    let mut out: HashMap<Uuid, Vec<String>> = HashMap::new();
    for row in rows {
        out.entry(row.content_id).or_default().push(row.tag);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn tags_are_trimmed_lowercased_and_unique() {
        let tags =
            normalise(&[" Primary ".into(), "primary".into(), "CPD".into()]).unwrap_or_default();
        assert_eq!(tags, vec!["primary", "cpd"]);
        assert!(normalise(&["".into()]).is_err());
    }
}
