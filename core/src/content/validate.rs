//! Field rules that do not need the database: required fields and lengths.

use super::{ContentType, Item};
use crate::error::{ApiError, ApiResult};

pub(crate) fn limit(field: &str, value: Option<&str>, max_chars: usize) -> ApiResult<()> {
    match value {
        Some(v) if v.chars().count() > max_chars => Err(ApiError::bad_input(
            field,
            format!("{field} is longer than {max_chars} characters"),
        )),
        _ => Ok(()),
    }
}

fn required(field: &str, value: Option<&str>) -> ApiResult<()> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(()),
        _ => Err(ApiError::bad_input(field, format!("{field} must not be empty"))),
    }
}

pub(crate) const MAX_BODY: usize = 500_000;

pub fn item(item: &Item) -> ApiResult<()> {
    if item.content_type == ContentType::Testimonial {
        required("quote", item.quote.as_deref())?;
        required("authorName", item.author_name.as_deref())?;
    } else {
        required("title", item.title.as_deref())?;
    }
    limit("title", item.title.as_deref(), 300)?;
    limit("summary", item.summary.as_deref(), 2_000)?;
    limit("body", item.body.as_deref(), MAX_BODY)?;
    limit("seoTitle", item.seo_title.as_deref(), 300)?;
    limit("seoDescription", item.seo_description.as_deref(), 1_000)?;
    limit("authorName", item.author_name.as_deref(), 200)?;
    limit("notesToEditors", item.notes_to_editors.as_deref(), MAX_BODY)?;
    limit("location", item.location.as_deref(), 200)?;
    limit("quote", item.quote.as_deref(), 5_000)?;
    limit("authorRole", item.author_role.as_deref(), 200)?;
    limit("organisation", item.organisation.as_deref(), 200)?;
    Ok(())
}
