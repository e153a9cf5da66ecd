//! The statements of the hottest lookups and lists, built once per shape.
//!
//! A lookup by slug or path builds the same SQL text every time: only its values differ
//! (the slug, and the time the visibility rule compares with). So does the first page of a
//! list, such as the newest news. Building it, the visibility
//! condition, the chosen columns and the text, took about a ninth of a lookup's time. So
//! the first lookup of a shape builds its statement by the ordinary code, with marker
//! values in place of the request's, and keeps the text and where each value comes from;
//! later lookups of that shape bind their own values into the kept text. The rule stays
//! in one place ([`super::visibility`]): a template is only ever what that code built.

use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Utc};
use quick_cache::sync::Cache;
use sea_orm::sea_query::Value;
use sea_orm::{DbBackend, Statement, Values};

use super::list::SortField;
use super::rows::Columns;
use super::{ContentType, Viewer};

/// Shapes kept at most: the columns follow each query's selection, and a list's shape its
/// page size and order, so a client could ask for many. Past this, the shapes least asked
/// for make way, so that a client sending new shapes cannot keep a site's own queries out.
const MAX_TEMPLATES: usize = 512;

/// What a statement's text depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Which lookup, by name.
    pub lookup: &'static str,
    pub viewer: Viewer,
    pub kind: Option<ContentType>,
    pub columns: Columns,
    /// For the first page of a list, what else its text depends on.
    pub list: Option<ListShape>,
    /// For lookups read together, how many values the statement reads (see
    /// [`super::batches`]); 0 for anything else.
    pub batch: u8,
}

/// The first page of a list, filtered at most on whether items are featured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListShape {
    pub sort: SortField,
    pub descending: bool,
    pub featured: Option<bool>,
    /// How many rows it reads.
    pub fetch: u64,
}

struct Template {
    sql: String,
    values: Vec<Slot>,
}

/// Where a statement's value comes from.
enum Slot {
    /// The time the lookup reads at.
    At,
    /// The lookup's input of this index.
    Input(usize),
    /// A value that is the same in every lookup of the shape.
    Fixed(Value),
}

/// A shape's statement on SQLite (`false`) or PostgreSQL (`true`): their texts differ.
type Key = (Shape, bool);

static TEMPLATES: LazyLock<Cache<Key, Arc<Template>>> = LazyLock::new(|| Cache::new(MAX_TEMPLATES));

/// The time a template is built at: a time no lookup reads at.
fn marked_at() -> DateTime<Utc> {
    DateTime::from_timestamp(1, 234_567_000).unwrap_or_default()
}

fn marked_input(index: usize) -> Value {
    Value::from(format!("\u{1}quire template input {index}\u{1}"))
}

/// The statement of a lookup of `shape` at `at` with `inputs`; `build` makes it for any
/// time and inputs, and is called once per shape.
pub fn statement(
    shape: Shape,
    backend: DbBackend,
    at: DateTime<Utc>,
    inputs: &[Value],
    build: impl Fn(DateTime<Utc>, &[Value]) -> Statement,
) -> Statement {
    let key = (shape, backend == DbBackend::Postgres);
    let template = match TEMPLATES.get(&key) {
        Some(template) => template,
        None => {
            let marks: Vec<Value> = (0..inputs.len()).map(marked_input).collect();
            let Some(template) = template_of(build(marked_at(), &marks), &marks) else {
                return build(at, inputs);
            };
            let template = Arc::new(template);
            TEMPLATES.insert(key, template.clone());
            template
        }
    };
    let values = template.values.iter().map(|slot| match slot {
        Slot::At => Value::from(at),
        Slot::Input(index) => inputs[*index].clone(),
        Slot::Fixed(value) => value.clone(),
    });
    Statement {
        sql: template.sql.clone(),
        values: Some(Values(values.collect())),
        db_backend: backend,
    }
}

/// The template of a statement built with the marked time and `marks`; `None` unless each
/// marked input became a value of the statement, so that none is left in its text.
fn template_of(built: Statement, marks: &[Value]) -> Option<Template> {
    let at = Value::from(marked_at());
    let mut used = vec![false; marks.len()];
    let values = built.values.map(|values| values.0).unwrap_or_default();
    let values = values
        .into_iter()
        .map(|value| {
            if value == at {
                return Slot::At;
            }
            match marks.iter().position(|mark| *mark == value) {
                Some(index) => {
                    used[index] = true;
                    Slot::Input(index)
                }
                None => Slot::Fixed(value),
            }
        })
        .collect();
    let in_text = marks.iter().any(|mark| match mark {
        Value::String(Some(text)) => built.sql.contains(text.as_str()),
        _ => false,
    });
    (used.iter().all(|&u| u) && !in_text).then_some(Template { sql: built.sql, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A statement whose text holds an input is never kept: it is built for each lookup.
    #[test]
    fn an_input_in_the_text_is_not_templated() {
        let shape = Shape {
            lookup: "input in the text",
            viewer: Viewer::Public,
            kind: None,
            columns: Columns::ALL,
            list: None,
            batch: 0,
        };
        let build = |_: DateTime<Utc>, inputs: &[Value]| {
            let Value::String(Some(text)) = &inputs[0] else { panic!("a text input") };
            Statement::from_string(DbBackend::Sqlite, format!("SELECT '{text}'"))
        };
        for input in ["a", "b"] {
            let statement =
                statement(shape, DbBackend::Sqlite, marked_at(), &[Value::from(input)], build);
            assert_eq!(statement.sql, format!("SELECT '{input}'"));
        }
        assert!(TEMPLATES.get(&(shape, false)).is_none());
    }

    /// Shapes past the table's room push out the least asked for, not every shape after.
    #[test]
    fn a_flood_of_new_shapes_leaves_room_for_a_busy_one() {
        let shape = |lookup: &'static str, fetch: u64| Shape {
            lookup,
            viewer: Viewer::Public,
            kind: None,
            columns: Columns::ALL,
            list: Some(ListShape {
                sort: SortField::PublishedAt,
                descending: true,
                featured: None,
                fetch,
            }),
            batch: 0,
        };
        let build = |_: DateTime<Utc>, inputs: &[Value]| Statement {
            sql: "SELECT ?".into(),
            values: Some(Values(inputs.to_vec())),
            db_backend: DbBackend::Sqlite,
        };
        let busy = shape("busy", 20);
        let ask = |shape: Shape| {
            statement(shape, DbBackend::Sqlite, marked_at(), &[Value::from("x")], build)
        };
        for _ in 0..4 {
            ask(busy);
        }
        for fetch in 0..(4 * MAX_TEMPLATES as u64) {
            ask(shape("flood", fetch));
            if fetch % 64 == 0 {
                ask(busy);
            }
        }
        let flood = (0..(4 * MAX_TEMPLATES as u64))
            .filter(|&fetch| TEMPLATES.get(&(shape("flood", fetch), false)).is_some())
            .count();
        assert!(flood <= MAX_TEMPLATES, "the table holds at most its room: {flood}");
        assert!(TEMPLATES.get(&(busy, false)).is_some(), "the busy shape is kept");
        let late = shape("late", 20);
        ask(late);
        assert!(TEMPLATES.get(&(late, false)).is_some(), "a shape after the flood is kept");
    }
}
