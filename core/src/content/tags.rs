//! News tags: normalised to lowercase, stored one row per tag.

use std::collections::{HashMap, HashSet};

use quire_entity::content_tag;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_LEN: usize = 50;

/// Trims, lowercases and de-duplicates tags, keeping their order. The cap counts the tags
/// as sent, duplicates included, and is checked before any tag is looked at: a list of a
/// million tags costs no more than one of 21.
pub fn normalise(tags: &[String]) -> ApiResult<Vec<String>> {
    if tags.len() > MAX_TAGS {
        return Err(ApiError::bad_input("tags", format!("at most {MAX_TAGS} tags")));
    }
    let mut seen = HashSet::with_capacity(tags.len());
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > MAX_TAG_LEN {
            return Err(ApiError::bad_input(
                "tags",
                format!("a tag is 1 to {MAX_TAG_LEN} characters"),
            ));
        }
        if seen.insert(tag.clone()) {
            out.push(tag);
        }
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
    use super::{MAX_TAGS, normalise};
    use crate::error::ApiError;

    #[test]
    fn tags_are_trimmed_lowercased_and_unique() {
        let tags =
            normalise(&[" Primary ".into(), "primary".into(), "CPD".into()]).unwrap_or_default();
        assert_eq!(tags, vec!["primary", "cpd"]);
        assert!(normalise(&["".into()]).is_err());
    }

    #[test]
    fn the_cap_counts_tags_as_sent() {
        let twenty: Vec<String> = (0..MAX_TAGS).map(|n| format!("tag {n}")).collect();
        assert_eq!(normalise(&twenty).map(|t| t.len()).ok(), Some(MAX_TAGS));
        let repeated = vec!["same".to_string(); MAX_TAGS + 1];
        assert!(matches!(normalise(&repeated), Err(ApiError::BadUserInput { .. })));
    }

    #[test]
    fn a_hundred_thousand_tags_are_refused_before_they_are_read() {
        // Distinct and valid, so only the cap can refuse them.
        let tags: Vec<String> = (0..100_000).map(|n| format!("tag {n}")).collect();
        let refused = normalise(&tags).err();
        assert_eq!(refused.as_ref().map(ApiError::code), Some("BAD_USER_INPUT"), "{refused:?}");
        assert!(matches!(refused, Some(ApiError::BadUserInput { field, .. }) if field == "tags"));
    }
}
