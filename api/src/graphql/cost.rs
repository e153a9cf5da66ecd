//! What one GraphQL operation may cost, measured on the parsed document before it is
//! validated or run. Every field counts one, after fragments are expanded, and a list's
//! subtree counts once per item the list may return: `first`/`last` (capped at what the
//! field allows), its default, or [`UNSIZED_LIST_ITEMS`] for a list with no size argument.
//! Each fragment is measured once and its figure reused, and every figure saturates at the
//! limit, so a document built to explode (fragments that double, thousands of aliases) is
//! refused after one pass over its text, in bounded memory.

use std::collections::HashMap;

use async_graphql::Variables;
use async_graphql::parser::types::{
    BaseType, ExecutableDocument, Field, OperationDefinition, OperationType, Selection,
    SelectionSet, TypeKind,
};
use async_graphql::{Name, Value};
use quire_core::pagination::{self, Sizes};

/// Items a list with no `first`/`last` argument is counted as returning.
pub const UNSIZED_LIST_ITEMS: u64 = 20;
/// Fields whose page sizes differ from every other list's ([`pagination::LISTS`]); larger
/// requests are refused by the field itself.
const PAGE_SIZES: &[(&str, Sizes)] = &[("changes", pagination::CHANGES)];
/// How many introspection lists (`types`, `fields`, `args`, …) may nest inside each other;
/// none may nest inside itself (`fields { type { fields } }`). The introspection query of
/// every common client nests three (`types { fields { args } }`) and repeats none: more
/// only repeats the schema inside itself.
pub const MAX_INTROSPECTION_LISTS: u32 = 3;

/// The bounds one operation must keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostLimits {
    /// The highest cost, as counted above.
    pub max_cost: u64,
    /// The most aliased fields, `__typename` included.
    pub max_aliases: u64,
    /// The deepest nesting of fields, fragments expanded; a root field is 1 deep.
    pub max_depth: u64,
}

/// What an operation was measured to cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    pub cost: u64,
    pub aliases: u64,
    /// Fields after fragments are expanded, every fragment counted, lists once: what
    /// validation walks. Bounded by the cost limit too.
    pub fields: u64,
    /// How deep fields nest, fragments expanded.
    pub depth: u64,
}

/// Why an operation is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    TooCostly { limit: u64 },
    TooManyAliases { limit: u64 },
    TooDeep { limit: u64 },
    IntrospectionTooDeep,
}

impl Refusal {
    /// The sentence a client reads.
    pub fn message(&self) -> String {
        match self {
            Refusal::TooCostly { limit } => format!(
                "the query may cost more than {limit}: every field counts one and a list's \
                 fields count once per item it may return; ask for fewer items or fields"
            ),
            Refusal::TooManyAliases { limit } => {
                format!("the query has more than {limit} aliased fields")
            }
            Refusal::TooDeep { limit } => {
                format!("the query nests fields more than {limit} deep")
            }
            Refusal::IntrospectionTooDeep => format!(
                "introspection lists nest at most {MAX_INTROSPECTION_LISTS} deep \
                 (`types {{ fields {{ args }} }}`), and none inside itself"
            ),
        }
    }
}

/// A field's result, as far as cost is concerned.
#[derive(Debug, Clone)]
struct FieldShape {
    /// The named type under any list and non-null wrappers.
    type_name: Name,
    is_list: bool,
    /// Takes `first` or `last`: a page whose size the caller chooses.
    paged: bool,
}

/// The output types of a schema and their fields, read once from its SDL.
#[derive(Debug, Default)]
pub struct TypeIndex {
    types: HashMap<Name, HashMap<Name, FieldShape>>,
    /// The object types: an item is of exactly one of them.
    objects: std::collections::HashSet<Name>,
    query: Option<Name>,
    mutation: Option<Name>,
    subscription: Option<Name>,
}

impl TypeIndex {
    /// Reads the object and interface types of `sdl`. A schema that does not parse gives an
    /// empty index, in which every field counts one.
    pub fn from_sdl(sdl: &str) -> TypeIndex {
        use async_graphql::parser::types::TypeSystemDefinition;
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            return TypeIndex::default();
        };
        let mut index = TypeIndex::default();
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    index.query = schema.query.map(|n| n.node);
                    index.mutation = schema.mutation.map(|n| n.node);
                    index.subscription = schema.subscription.map(|n| n.node);
                }
                TypeSystemDefinition::Type(ty) => {
                    let ty = ty.node;
                    let fields = match ty.kind {
                        TypeKind::Object(object) => {
                            index.objects.insert(ty.name.node.clone());
                            object.fields
                        }
                        TypeKind::Interface(interface) => interface.fields,
                        _ => continue,
                    };
                    let shapes = fields
                        .into_iter()
                        .map(|field| {
                            let field = field.node;
                            let (type_name, is_list) = named(&field.ty.node.base);
                            let paged = field
                                .arguments
                                .iter()
                                .any(|arg| matches!(arg.node.name.node.as_str(), "first" | "last"));
                            (field.name.node, FieldShape { type_name, is_list, paged })
                        })
                        .collect();
                    index.types.insert(ty.name.node, shapes);
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        let default = |name: &str| Some(Name::new(name));
        index.query = index.query.or_else(|| default("Query"));
        index.mutation = index.mutation.or_else(|| default("Mutation"));
        index.subscription = index.subscription.or_else(|| default("Subscription"));
        index
    }

    fn field(&self, type_name: Option<&Name>, field: &str) -> Option<&FieldShape> {
        self.types.get(type_name?)?.get(field)
    }

    fn root(&self, ty: OperationType) -> Option<&Name> {
        match ty {
            OperationType::Query => self.query.as_ref(),
            OperationType::Mutation => self.mutation.as_ref(),
            OperationType::Subscription => self.subscription.as_ref(),
        }
    }
}

fn add(a: Cost, b: Cost) -> Cost {
    Cost {
        cost: a.cost.saturating_add(b.cost),
        aliases: a.aliases.saturating_add(b.aliases),
        fields: a.fields.saturating_add(b.fields),
        depth: a.depth.max(b.depth),
    }
}

fn named(base: &BaseType) -> (Name, bool) {
    match base {
        BaseType::Named(name) => (name.clone(), false),
        BaseType::List(inner) => (named(&inner.base).0, true),
    }
}

/// The operation a request runs: the one named, or the only one.
pub fn operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    use async_graphql::parser::types::DocumentOperations;
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), None) => Some(&op.node),
        (DocumentOperations::Single(_), Some(_)) => None,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// Measures the operation a request runs. A document without that operation costs nothing
/// here; validation refuses it.
pub fn measure(
    index: &TypeIndex,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    limits: CostLimits,
) -> Result<Cost, Refusal> {
    let Some(operation) = operation(document, operation_name) else {
        return Ok(Cost::default());
    };
    let mut walk = Walk {
        index,
        document,
        variables,
        operation,
        limits,
        fragments: HashMap::new(),
        visiting: Vec::new(),
    };
    let root = index.root(operation.ty).cloned();
    // Every figure is checked against its limit as it is added up (`Walk::cap`).
    walk.selection_set(&operation.selection_set.node, root.as_ref(), Context::default())
}

/// Where in the document a selection set sits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
struct Context {
    /// The items of the connection whose fields these are, for its `edges` and `nodes`.
    page: Option<u64>,
    /// Inside `__schema` or `__type`: the introspection lists that enclose this set, one
    /// bit each.
    introspection: Option<u16>,
}

struct Walk<'a> {
    index: &'a TypeIndex,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    operation: &'a OperationDefinition,
    limits: CostLimits,
    /// Each fragment's figure, per context, once measured.
    fragments: HashMap<(Name, Context), Cost>,
    /// Fragments being measured: a cycle is invalid, and counts nothing here.
    visiting: Vec<Name>,
}

impl Walk<'_> {
    /// A cap that keeps every figure small: anything past it is refused anyway.
    fn cap(&self, cost: Cost) -> Result<Cost, Refusal> {
        if cost.cost > self.limits.max_cost || cost.fields > self.limits.max_cost {
            return Err(Refusal::TooCostly { limit: self.limits.max_cost });
        }
        if cost.aliases > self.limits.max_aliases {
            return Err(Refusal::TooManyAliases { limit: self.limits.max_aliases });
        }
        if cost.depth > self.limits.max_depth {
            return Err(Refusal::TooDeep { limit: self.limits.max_depth });
        }
        Ok(cost)
    }

    fn selection_set(
        &mut self,
        set: &SelectionSet,
        parent: Option<&Name>,
        context: Context,
    ) -> Result<Cost, Refusal> {
        // Fragments on different object types never apply to the same item: of those, only
        // the costliest type counts. Everything else applies to every item and adds up.
        let mut total = Cost::default();
        let mut by_object: Vec<(Name, Cost)> = Vec::new();
        for item in &set.items {
            let (on, cost) = match &item.node {
                Selection::Field(field) => (None, self.field(&field.node, parent, context)?),
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let on = fragment.type_condition.as_ref().map(|c| c.node.on.node.clone());
                    let cost = self.selection_set(
                        &fragment.selection_set.node,
                        on.as_ref().or(parent),
                        context,
                    )?;
                    (on, cost)
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    let on = self
                        .document
                        .fragments
                        .get(name)
                        .map(|f| f.node.type_condition.node.on.node.clone());
                    (on, self.fragment(name, context)?)
                }
            };
            let exclusive = on.filter(|on| Some(on) != parent && self.index.objects.contains(on));
            match exclusive {
                Some(on) => match by_object.iter_mut().find(|(name, _)| *name == on) {
                    Some((_, sum)) => *sum = self.cap(add(*sum, cost))?,
                    None => by_object.push((on, cost)),
                },
                None => total = self.cap(add(total, cost))?,
            }
        }
        let costliest = by_object.iter().map(|(_, c)| c.cost).max().unwrap_or(0);
        // Aliases and fields count wherever they are: those limits are on the document.
        let aliases = by_object.iter().fold(0u64, |n, (_, c)| n.saturating_add(c.aliases));
        let fields = by_object.iter().fold(0u64, |n, (_, c)| n.saturating_add(c.fields));
        let depth = by_object.iter().map(|(_, c)| c.depth).max().unwrap_or(0);
        self.cap(add(total, Cost { cost: costliest, aliases, fields, depth }))
    }

    fn fragment(&mut self, name: &Name, context: Context) -> Result<Cost, Refusal> {
        let key = (name.clone(), context);
        if let Some(cost) = self.fragments.get(&key) {
            return Ok(*cost);
        }
        let Some(definition) = self.document.fragments.get(name) else {
            return Ok(Cost::default());
        };
        if self.visiting.contains(name) {
            return Ok(Cost::default());
        }
        self.visiting.push(name.clone());
        let on = definition.node.type_condition.node.on.node.clone();
        let cost = self.selection_set(&definition.node.selection_set.node, Some(&on), context);
        self.visiting.pop();
        let cost = cost?;
        self.fragments.insert(key, cost);
        Ok(cost)
    }

    fn field(
        &mut self,
        field: &Field,
        parent: Option<&Name>,
        context: Context,
    ) -> Result<Cost, Refusal> {
        let name = field.name.node.as_str();
        let aliases = u64::from(field.alias.is_some());
        if name == "__typename" {
            return self.cap(Cost { cost: 1, aliases, fields: 1, depth: 1 });
        }
        if let Some(lists) =
            context.introspection.or_else(|| matches!(name, "__schema" | "__type").then_some(0))
        {
            return self.introspection_field(field, lists, aliases);
        }
        let shape = self.index.field(parent, name).cloned();
        let (items, inner) = match &shape {
            // A page of a connection: its `edges` and `nodes` are that long.
            Some(shape) if shape.paged && !shape.is_list => {
                (1, Context { page: Some(self.page_size(field)), ..context })
            }
            Some(shape) if shape.paged => (self.page_size(field), Context::default()),
            Some(shape) if shape.is_list => {
                (context.page.unwrap_or(UNSIZED_LIST_ITEMS), Context::default())
            }
            _ => (1, Context::default()),
        };
        let child_type = shape.map(|s| s.type_name);
        let children = self.selection_set(&field.selection_set.node, child_type.as_ref(), inner)?;
        let cost = if field.selection_set.node.items.is_empty() {
            // A leaf: a list of scalars costs what one scalar does.
            1
        } else {
            1u64.saturating_add(items.saturating_mul(children.cost))
        };
        self.cap(Cost {
            cost,
            aliases: aliases.saturating_add(children.aliases),
            fields: children.fields.saturating_add(1),
            depth: children.depth.saturating_add(1),
        })
    }

    /// Introspection fields count one each, whatever the schema's size, and their lists may
    /// nest only so deep.
    fn introspection_field(
        &mut self,
        field: &Field,
        lists: u16,
        aliases: u64,
    ) -> Result<Cost, Refusal> {
        const LISTS: &[&str] = &[
            "types",
            "fields",
            "args",
            "inputFields",
            "interfaces",
            "possibleTypes",
            "enumValues",
            "directives",
        ];
        let lists = match LISTS.iter().position(|l| *l == field.name.node.as_str()) {
            Some(i) => {
                let bit = 1u16 << i;
                if lists & bit != 0 || lists.count_ones() >= MAX_INTROSPECTION_LISTS {
                    return Err(Refusal::IntrospectionTooDeep);
                }
                lists | bit
            }
            None => lists,
        };
        let inner = Context { page: None, introspection: Some(lists) };
        let children = self.selection_set(&field.selection_set.node, None, inner)?;
        self.cap(Cost {
            cost: children.cost.saturating_add(1),
            aliases: aliases.saturating_add(children.aliases),
            fields: children.fields.saturating_add(1),
            depth: children.depth.saturating_add(1),
        })
    }

    /// How many items a paged field may return: the `first` or `last` it is given (the
    /// larger, if both), its default when neither, never more than the field allows.
    fn page_size(&self, field: &Field) -> u64 {
        let name = field.name.node.as_str();
        let Sizes { default, max: most, .. } = PAGE_SIZES
            .iter()
            .find(|(field, _)| *field == name)
            .map_or(pagination::LISTS, |(_, sizes)| *sizes);
        let asked = field
            .arguments
            .iter()
            .filter(|(arg, _)| matches!(arg.node.as_str(), "first" | "last"))
            .filter_map(|(_, value)| {
                value.node.clone().into_const_with(|name| self.variable(&name).ok_or(())).ok()
            })
            .filter_map(count)
            .max();
        asked.unwrap_or(default).min(most)
    }

    /// A variable's value: the request's, or the operation's default for it.
    fn variable(&self, name: &Name) -> Option<Value> {
        self.variables.get(name).cloned().or_else(|| {
            self.operation
                .variable_definitions
                .iter()
                .find(|d| d.node.name.node == *name)
                .and_then(|d| d.node.default_value.as_ref())
                .map(|v| v.node.clone())
        })
    }
}

/// A size argument's value as a count; a negative one counts nothing.
fn count(value: Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or(n.as_i64().map(|_| 0)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: CostLimits = CostLimits { max_cost: 1000, max_aliases: 30, max_depth: 16 };

    fn cost_of(query: &str) -> Result<Cost, Refusal> {
        cost_with(query, serde_json::json!({}), LIMITS)
    }

    fn cost_with(
        query: &str,
        variables: serde_json::Value,
        limits: CostLimits,
    ) -> Result<Cost, Refusal> {
        let index = TypeIndex::from_sdl(&crate::graphql::sdl());
        let document = async_graphql::parser::parse_query(query).unwrap_or_else(|e| panic!("{e}"));
        measure(&index, &document, None, &Variables::from_json(variables), limits)
    }

    #[test]
    fn depth_counts_fields_through_fragments() {
        // page, then parent 14 times, then id: 16 deep.
        let nested = |levels: usize| {
            let mut query = "{ page(path: \"a\") { ".to_string();
            query.push_str(&"parent { ".repeat(levels));
            query.push_str("id");
            query.push_str(&" }".repeat(levels + 2));
            query
        };
        assert_eq!(cost_of(&nested(14)).map(|c| c.depth), Ok(16));
        assert_eq!(cost_of(&nested(15)), Err(Refusal::TooDeep { limit: 16 }));
        let through_fragment =
            "{ page(path: \"a\") { ...P } } fragment P on Page { parent { parent { id } } }";
        assert_eq!(cost_of(through_fragment).map(|c| c.depth), Ok(4));
    }

    #[test]
    fn scalars_count_one_each() {
        assert_eq!(cost_of("{ __typename me { id email } }").map(|c| c.cost), Ok(4));
    }

    #[test]
    fn a_connections_items_count_once_per_item_it_may_return() {
        // news 1 + nodes 1 + 10 × (id + title) + totalCount 1 + pageInfo 1 + hasNextPage 1
        let cost = cost_of(
            "{ news(first: 10) { nodes { id title } totalCount pageInfo { hasNextPage } } }",
        );
        assert_eq!(cost.map(|c| c.cost), Ok(1 + (1 + 10 * 2) + 1 + (1 + 1)));
        let default = cost_of("{ news { edges { cursor node { id } } } }");
        assert_eq!(default.map(|c| c.cost), Ok(1 + 1 + 20 * (1 + 1 + 1)));
    }

    #[test]
    fn sizes_come_from_variables_and_are_capped_at_what_the_field_allows() {
        let query = "query($n: Int) { news(first: $n) { nodes { id } } }";
        let five = cost_with(query, serde_json::json!({ "n": 5 }), LIMITS);
        assert_eq!(five.map(|c| c.cost), Ok(1 + 1 + 5));
        let huge = cost_with(query, serde_json::json!({ "n": 1_000_000 }), LIMITS);
        assert_eq!(huge.map(|c| c.cost), Ok(1 + 1 + 100));
        let changes = cost_with(
            "{ changes(first: 100000) { nodes { id } } }",
            serde_json::json!({}),
            CostLimits { max_cost: 10_000, max_aliases: 30, max_depth: 16 },
        );
        assert_eq!(changes.map(|c| c.cost), Ok(1 + 1 + 500));
    }

    #[test]
    fn lists_without_a_size_count_as_unsized_lists() {
        let cost = cost_of("{ page(path: \"a\") { children { id } } }");
        assert_eq!(cost.map(|c| c.cost), Ok(1 + 1 + UNSIZED_LIST_ITEMS));
    }

    #[test]
    fn fragments_on_different_object_types_count_the_costliest() {
        let query = "{ changes(first: 10) { nodes { id node { id ... on NewsArticle { title body } ... on Page { title } ...P } } } } fragment P on Page { path }";
        // changes 1 + nodes 1 + 10 × (id 1 + node (1 + id 1 + max(NewsArticle 2, Page 2)))
        assert_eq!(cost_of(query).map(|c| c.cost), Ok(1 + 1 + 10 * (1 + 1 + 1 + 2)));
    }

    #[test]
    fn fragments_that_double_across_object_types_are_refused_too() {
        // Only one branch applies to an item, but validation walks every one.
        let mut query = String::from("fragment F0 on Node { id }\n");
        for i in 1..=40 {
            let p = i - 1;
            query.push_str(&format!(
                "fragment F{i} on Node {{ ... on NewsArticle {{ ...F{p} }} ... on Page {{ ...F{p} }} }}\n"
            ));
        }
        query.push_str("query { node(id: \"x\") { ...F40 } }");
        assert_eq!(cost_of(&query), Err(Refusal::TooCostly { limit: 1000 }));
    }

    #[test]
    fn fragments_are_expanded() {
        let cost = cost_of("{ ...F ...F } fragment F on Query { me { id } }");
        assert_eq!(cost.map(|c| c.cost), Ok(4));
    }

    #[test]
    fn fragments_that_double_are_refused_in_one_pass() {
        let mut query = String::from("fragment F0 on Query { __typename }\n");
        for i in 1..=60 {
            query.push_str(&format!("fragment F{i} on Query {{ ...F{} ...F{} }}\n", i - 1, i - 1));
        }
        query.push_str("query { ...F60 }");
        let started = std::time::Instant::now();
        assert_eq!(cost_of(&query), Err(Refusal::TooCostly { limit: 1000 }));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn aliases_are_counted_after_expansion() {
        let aliases = (0..31).map(|i| format!("a{i}: __typename")).collect::<Vec<_>>().join(" ");
        assert_eq!(
            cost_of(&format!("{{ {aliases} }}")),
            Err(Refusal::TooManyAliases { limit: 30 })
        );
        let sixteen = (0..16).map(|i| format!("a{i}: __typename")).collect::<Vec<_>>().join(" ");
        let twice = format!("{{ ...F ...F }} fragment F on Query {{ {sixteen} }}");
        assert_eq!(cost_of(&twice), Err(Refusal::TooManyAliases { limit: 30 }));
    }

    #[test]
    fn aliased_lists_multiply() {
        let lists = (0..5)
            .map(|i| format!("a{i}: changes(first: 500) {{ nodes {{ id }} }}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(cost_of(&format!("{{ {lists} }}")), Err(Refusal::TooCostly { limit: 1000 }));
    }

    #[test]
    fn introspection_counts_each_field_once_and_nests_three_lists() {
        let full = "{ __schema { types { name fields { name args { name type { name ofType { name } } } } } } }";
        assert!(cost_of(full).is_ok());
        let repeated = "{ __type(name: \"Query\") { fields { type { fields { name } } } } }";
        assert_eq!(cost_of(repeated), Err(Refusal::IntrospectionTooDeep));
        let deep = "{ __schema { types { interfaces { possibleTypes { fields { name } } } } } }";
        assert_eq!(cost_of(deep), Err(Refusal::IntrospectionTooDeep));
    }

    #[test]
    fn a_fragment_cycle_counts_nothing_and_ends() {
        assert!(
            cost_of("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }").is_ok()
        );
    }
}

/// The queries Quire ships (the example site's, the docs', the benchmark's) all pass under
/// the default limits; their costs are printed (`--nocapture`) for `docs/configuration.md`.
#[cfg(test)]
mod shipped_queries {
    use super::*;
    use crate::config::{DEFAULT_MAX_ALIASES, DEFAULT_MAX_QUERY_COST, DEFAULT_MAX_QUERY_DEPTH};

    const DEFAULTS: CostLimits = CostLimits {
        max_cost: DEFAULT_MAX_QUERY_COST,
        max_aliases: DEFAULT_MAX_ALIASES,
        max_depth: DEFAULT_MAX_QUERY_DEPTH,
    };

    fn root() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// Every query in `examples/queries/`, with its variables when it has them.
    fn example_queries() -> Vec<(String, String, serde_json::Value)> {
        let dir = root().join("examples/queries");
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(&dir) else { panic!("{} is missing", dir.display()) };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "graphql") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let variables = std::fs::read_to_string(path.with_extension("variables.json"))
                    .ok()
                    .and_then(|v| serde_json::from_str(&v).ok())
                    .unwrap_or_else(|| serde_json::json!({}));
                out.push((path.display().to_string(), text, variables));
            }
        }
        assert!(out.len() >= 5, "the example queries were not found");
        out
    }

    /// Every ```graphql block of the README and the docs.
    fn readme_queries() -> Vec<(String, String, serde_json::Value)> {
        let mut files = vec![root().join("README.md")];
        let mut docs: Vec<_> = std::fs::read_dir(root().join("docs"))
            .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        docs.sort();
        files.extend(docs.into_iter().filter(|p| p.extension().is_some_and(|e| e == "md")));
        let mut out = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
            let mut rest = text.as_str();
            while let Some(start) = rest.find("```graphql\n") {
                let block = &rest[start + 11..];
                let end = block.find("```").unwrap_or(block.len());
                let label = format!("{} block {}", name.as_deref().unwrap_or("?"), out.len() + 1);
                out.push((label, block[..end].to_string(), serde_json::json!({})));
                rest = &block[end..];
            }
        }
        out
    }

    #[test]
    fn every_shipped_query_passes_under_the_default_limits() {
        let index = TypeIndex::from_sdl(&crate::graphql::sdl());
        let bench = [
            "{ news(first: 20) { nodes { id slug title summary publishedAt } } }",
            "query($s: String!) { newsArticle(slug: $s) { id title body bodyHtml publishedAt } }",
        ];
        let bench = bench
            .iter()
            .enumerate()
            .map(|(i, q)| (format!("benchmark Q{}", i + 1), q.to_string(), serde_json::json!({})));
        let documented = readme_queries();
        assert!(documented.len() >= 3, "the docs' GraphQL blocks were not found");
        for (name, text, variables) in example_queries().into_iter().chain(documented).chain(bench)
        {
            let document = async_graphql::parser::parse_query(&text)
                .unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
            let variables = Variables::from_json(variables);
            let names: Vec<_> = match &document.operations {
                async_graphql::parser::types::DocumentOperations::Single(_) => vec![None],
                async_graphql::parser::types::DocumentOperations::Multiple(ops) => {
                    ops.keys().map(|k| Some(k.to_string())).collect()
                }
            };
            for operation in names {
                let cost = measure(&index, &document, operation.as_deref(), &variables, DEFAULTS)
                    .unwrap_or_else(|e| panic!("{name} is refused: {}", e.message()));
                println!(
                    "{name} {}: cost {}, {} aliases",
                    operation.unwrap_or_default(),
                    cost.cost,
                    cost.aliases
                );
            }
        }
    }
}
