//! Checks a parsed request before async-graphql validates or runs it: the public may call
//! only the public mutations (so a protected one answers `UNAUTHENTICATED` whatever its
//! arguments), and no operation may cost more than the limits allow.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::Name;
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};

use super::cost::{self, CostLimits, Refusal, TypeIndex};
use super::variable_fit::InputIndex;

/// Mutations anyone may call without a token.
pub const PUBLIC_MUTATIONS: &[&str] = &[
    "login",
    "logout",
    "subscribeToNewsletter",
    "confirmNewsletterSubscription",
    "unsubscribeFromNewsletter",
];

/// Why a request is refused before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The public called a mutation that needs a token.
    Unauthenticated { field: String },
    /// The operation is over a limit.
    TooComplex(Refusal),
}

/// Shared by every request: the schema's types, read once, and the limits.
#[derive(Clone)]
pub struct RequestGuard {
    index: Arc<TypeIndex>,
    inputs: Arc<InputIndex>,
    limits: CostLimits,
}

impl RequestGuard {
    pub fn new(limits: CostLimits) -> RequestGuard {
        let sdl = super::sdl();
        RequestGuard {
            index: Arc::new(TypeIndex::from_sdl(&sdl)),
            inputs: Arc::new(InputIndex::from_sdl(&sdl)),
            limits,
        }
    }

    /// The schema's enums and input objects, for checks of variable values (see
    /// [`super::variable_fit`]).
    pub fn inputs(&self) -> &InputIndex {
        &self.inputs
    }

    /// Checks the operation `request` runs. `public` is true for a caller without a token.
    pub fn check(
        &self,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &async_graphql::Variables,
        public: bool,
    ) -> Result<cost::Cost, Refused> {
        if public
            && let Some(operation) = cost::operation(document, operation_name)
            && operation.ty == OperationType::Mutation
        {
            let mut seen = HashSet::new();
            let mut fields = Vec::new();
            root_fields(document, &operation.selection_set.node, &mut seen, &mut fields);
            if let Some(field) =
                fields.into_iter().find(|f| !PUBLIC_MUTATIONS.contains(&f.as_str()))
            {
                return Err(Refused::Unauthenticated { field: field.to_string() });
            }
        }
        cost::measure(&self.index, document, operation_name, variables, self.limits)
            .map_err(Refused::TooComplex)
    }
}

/// Whether the operation a request runs asks for any data: anything at its root but
/// `__typename`, `__schema` and `__type`. One that does not reads no row.
pub fn reads_data(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    let Some(operation) = cost::operation(document, operation_name) else {
        return true;
    };
    let mut fields = Vec::new();
    root_fields(document, &operation.selection_set.node, &mut HashSet::new(), &mut fields);
    fields.iter().any(|field| !matches!(field.as_str(), "__schema" | "__type"))
}

/// The root fields of an operation, through its fragments; each fragment is read once, so
/// a document whose fragments double costs no more here than its length.
fn root_fields(
    document: &ExecutableDocument,
    set: &SelectionSet,
    seen: &mut HashSet<Name>,
    out: &mut Vec<Name>,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                if field.node.name.node != "__typename" {
                    out.push(field.node.name.node.clone());
                }
            }
            Selection::InlineFragment(fragment) => {
                root_fields(document, &fragment.node.selection_set.node, seen, out);
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                if seen.insert(name.clone())
                    && let Some(fragment) = document.fragments.get(name)
                {
                    root_fields(document, &fragment.node.selection_set.node, seen, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str, public: bool) -> Result<cost::Cost, Refused> {
        let guard =
            RequestGuard::new(CostLimits { max_cost: 1000, max_aliases: 30, max_depth: 16 });
        let document = async_graphql::parser::parse_query(query).unwrap_or_else(|e| panic!("{e}"));
        guard.check(&document, None, &async_graphql::Variables::default(), public)
    }

    #[test]
    fn only_fields_past_typename_and_introspection_read_data() {
        let reads = |query: &str| {
            let document = async_graphql::parser::parse_query(query).expect("a document");
            reads_data(&document, None)
        };
        assert!(!reads("{ __typename }"));
        assert!(!reads("{ __schema { types { name } } t: __type(name: \"News\") { name } }"));
        assert!(!reads(
            "{ ...F } fragment F on Query { __typename ...G } fragment G on Query { __typename }"
        ));
        assert!(reads("{ __typename news(first: 1) { nodes { id } } }"));
        assert!(reads("{ ...F } fragment F on Query { ... on Query { me { id } } }"));
        assert!(reads("query A { __typename } query B { me { id } }"), "no operation chosen");
    }

    #[test]
    fn the_public_may_call_public_mutations_only() {
        assert!(check("mutation { subscribeToNewsletter(email: \"a@b.c\") }", true).is_ok());
        assert_eq!(
            check("mutation { updateUser(id: \"x\") { id } }", true),
            Err(Refused::Unauthenticated { field: "updateUser".into() })
        );
        assert!(matches!(
            check(
                "mutation { ...M } fragment M on Mutation { login(email: \"a\", password: \"b\") { token } purge(id: \"x\") }",
                true
            ),
            Err(Refused::Unauthenticated { .. })
        ));
        assert!(check("mutation { updateUser(id: \"x\") { id } }", false).is_ok());
    }

    #[test]
    fn every_public_mutation_is_in_the_schema() {
        let sdl = super::super::sdl();
        for name in PUBLIC_MUTATIONS {
            let declared = [format!("\t{name}("), format!("\t{name}:")];
            assert!(declared.iter().any(|d| sdl.contains(d.as_str())), "{name} is not a mutation");
        }
    }
}
