//! A set of field changes to a content item. `None` leaves a field as it is; for nullable
//! fields `Some(None)` clears it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Item;

#[derive(Debug, Default, Clone)]
pub struct Changes {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub summary: Option<Option<String>>,
    pub body: Option<Option<String>>,
    pub published_at: Option<Option<DateTime<Utc>>>,
    pub parent_id: Option<Option<Uuid>>,
    pub position: Option<i32>,
    pub seo_title: Option<Option<String>>,
    pub seo_description: Option<Option<String>>,
    pub seo_image_id: Option<Option<Uuid>>,
    pub canonical_url: Option<Option<String>>,
    pub no_index: Option<bool>,
    /// Replaces the related items, in this order; written beside the item, not in it.
    pub related: Option<Vec<Uuid>>,
    pub author_name: Option<Option<String>>,
    pub hero_image_id: Option<Option<Uuid>>,
    pub tags: Option<Vec<String>>,
    pub notes_to_editors: Option<Option<String>>,
    pub location: Option<Option<String>>,
    pub quote: Option<String>,
    pub author_role: Option<Option<String>>,
    pub organisation: Option<Option<String>>,
    pub featured: Option<bool>,
    pub file_id: Option<Option<Uuid>>,
    pub cover_id: Option<Option<Uuid>>,
}

/// Empty optional text means "none": a front-end never has to tell `""` from `null`.
fn text(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.trim().is_empty())
}

fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
    }
}

fn set_text(target: &mut Option<String>, value: Option<Option<String>>) {
    if let Some(value) = value {
        *target = text(value);
    }
}

impl Changes {
    /// Applies the stored fields; the slug, path, tags and rendered HTML are derived by the
    /// writer, which knows the item's neighbours.
    pub fn apply_to(&self, item: &mut Item) {
        let c = self.clone();
        if let Some(title) = c.title {
            item.title = Some(title.trim().to_string());
        }
        set_text(&mut item.summary, c.summary);
        if let Some(body) = c.body {
            item.body = body;
        }
        set(&mut item.published_at, c.published_at);
        set(&mut item.parent_id, c.parent_id);
        set(&mut item.position, c.position);
        set_text(&mut item.seo_title, c.seo_title);
        set_text(&mut item.seo_description, c.seo_description);
        set(&mut item.seo_image_id, c.seo_image_id);
        set_text(&mut item.canonical_url, c.canonical_url);
        set(&mut item.no_index, c.no_index);
        set_text(&mut item.author_name, c.author_name);
        set(&mut item.hero_image_id, c.hero_image_id);
        if let Some(notes) = c.notes_to_editors {
            item.notes_to_editors = notes;
        }
        set_text(&mut item.location, c.location);
        if let Some(quote) = c.quote {
            item.quote = Some(quote.trim().to_string());
        }
        set_text(&mut item.author_role, c.author_role);
        set_text(&mut item.organisation, c.organisation);
        set(&mut item.featured, c.featured);
        set(&mut item.file_id, c.file_id);
        set(&mut item.cover_id, c.cover_id);
    }
}
