//! Whether a request's variable values certainly fit the types its operation declares.
//!
//! Of async-graphql's validation rules only one looks at variable values: each argument's
//! value, with the variables put in, must fit the argument's type. Every other rule reads the
//! document alone. That rule checks only the operation that runs, and skips an argument
//! whose variables were left out, so a pass counts for a text only when the text has one
//! operation and the request gave every variable it declares ([`InputIndex::covers`]).
//! Then the pass checked every argument with its variables in place, and each variable's
//! declared type against the places it is used; a later request with the same text needs
//! only its values checked against the declared types. This check answers "certainly fits"
//! or "not sure": a request it is not sure of is validated in full, so async-graphql's own
//! messages answer bad values.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, InputValueDefinition, Type, TypeKind,
    TypeSystemDefinition,
};
use async_graphql::{Name, Value, Variables};

use super::cost::operation;

/// An input object's fields, as the schema declares them.
#[derive(Debug)]
struct InputObject {
    /// Each field's type and whether it has a default value.
    fields: HashMap<Name, (Type, bool)>,
}

/// The schema's enums and input objects, read once from its SDL.
#[derive(Debug, Default)]
pub struct InputIndex {
    enums: HashMap<Name, HashSet<Name>>,
    inputs: HashMap<Name, InputObject>,
}

impl InputIndex {
    /// Reads `sdl`. A schema that does not parse gives an empty index, which is sure of
    /// nothing but the built-in scalars.
    pub fn from_sdl(sdl: &str) -> InputIndex {
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            return InputIndex::default();
        };
        let mut index = InputIndex::default();
        for definition in document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else { continue };
            let ty = ty.node;
            match ty.kind {
                TypeKind::Enum(kind) => {
                    let values = kind.values.into_iter().map(|v| v.node.value.node).collect();
                    index.enums.insert(ty.name.node, values);
                }
                // A one-of input has rules of its own; its values are left to the full check.
                TypeKind::InputObject(_)
                    if ty.directives.iter().any(|d| d.node.name.node == "oneOf") => {}
                TypeKind::InputObject(kind) => {
                    let fields = kind.fields.into_iter().map(|f| field(f.node)).collect();
                    index.inputs.insert(ty.name.node, InputObject { fields });
                }
                _ => {}
            }
        }
        index
    }

    /// True when every value `variables` gives for the chosen operation certainly fits its
    /// declared type. A variable left out is not checked here, as full validation does not
    /// check it either (its default or its absence is dealt with when the field runs).
    pub fn fits(
        &self,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
    ) -> bool {
        let Some(operation) = operation(document, operation_name) else { return false };
        operation.variable_definitions.iter().all(|definition| {
            let definition = &definition.node;
            match variables.get(&definition.name.node) {
                None => true,
                // A null may be allowed where the declared type is not, through a default:
                // the full check decides.
                Some(Value::Null) => false,
                Some(value) => self.fits_type(&definition.var_type.node, value),
            }
        })
    }

    /// Whether a full validation of this request checks every argument of its text: the
    /// text has one operation, and the request gives a value for each variable it declares.
    pub fn covers(
        &self,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
    ) -> bool {
        let single = match &document.operations {
            DocumentOperations::Single(_) => true,
            DocumentOperations::Multiple(operations) => operations.len() == 1,
        };
        single
            && operation(document, operation_name).is_some_and(|operation| {
                operation
                    .variable_definitions
                    .iter()
                    .all(|definition| variables.contains_key(&definition.node.name.node))
            })
    }

    fn fits_type(&self, ty: &Type, value: &Value) -> bool {
        if matches!(value, Value::Null) {
            return ty.nullable;
        }
        match &ty.base {
            BaseType::List(item) => match value {
                Value::List(items) => items.iter().all(|v| self.fits_type(item, v)),
                // A single value is taken as a list of one.
                other => self.fits_type(item, other),
            },
            BaseType::Named(name) => self.fits_named(name, value),
        }
    }

    fn has_enum_value(&self, name: &str, value: &str) -> bool {
        self.enums.get(name).is_some_and(|values| values.contains(value))
    }

    fn fits_named(&self, name: &str, value: &Value) -> bool {
        match (name, value) {
            ("String", Value::String(_)) | ("Boolean", Value::Boolean(_)) => true,
            ("Float", Value::Number(_)) => true,
            // Both signed and unsigned integer types are spelled `Int`: only what fits both.
            ("Int", Value::Number(n)) => {
                n.as_i64().is_some_and(|n| (0..=i64::from(i32::MAX)).contains(&n))
            }
            ("ID", Value::String(_)) => true,
            ("ID", Value::Number(n)) => n.is_i64(),
            (_, Value::String(v)) => self.has_enum_value(name, v),
            (_, Value::Enum(v)) => self.has_enum_value(name, v),
            (_, Value::Object(given)) => self.inputs.get(name).is_some_and(|input| {
                given.keys().all(|key| input.fields.contains_key(key))
                    && input.fields.iter().all(|(field, (ty, has_default))| {
                        match given.get(field) {
                            Some(value) => self.fits_type(ty, value),
                            None => ty.nullable || *has_default,
                        }
                    })
            }),
            // Custom scalars and anything else: not sure.
            _ => false,
        }
    }
}

fn field(definition: InputValueDefinition) -> (Name, (Type, bool)) {
    (definition.name.node, (definition.ty.node, definition.default_value.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        enum Order { NEWEST OLDEST }
        input Range { from: Int!, to: Int = 10, label: String }
        input Pick @oneOf { a: Int, b: String }
        scalar DateTime
        type Query { x: Int }
    "#;

    fn fits(query: &str, variables: serde_json::Value) -> bool {
        let index = InputIndex::from_sdl(SDL);
        let document = async_graphql::parser::parse_query(query).unwrap();
        index.fits(&document, None, &Variables::from_json(variables))
    }

    #[test]
    fn the_built_in_scalars_fit_as_async_graphql_checks_them() {
        let q = "query($s: String!, $i: Int, $f: Float, $b: Boolean, $id: ID) { x }";
        let ok = serde_json::json!({ "s": "a", "i": 20, "f": 1.5, "b": true, "id": 7 });
        assert!(fits(q, ok));
        for (name, bad) in [
            ("s", serde_json::json!(5)),
            ("i", serde_json::json!("20")),
            ("i", serde_json::json!(1.5)),
            ("i", serde_json::json!(4_294_967_296_u64)),
            ("f", serde_json::json!("x")),
            ("b", serde_json::json!(1)),
            ("id", serde_json::json!(true)),
        ] {
            assert!(!fits(q, serde_json::json!({ name: bad })), "{name}: {bad}");
        }
    }

    #[test]
    fn a_null_a_custom_scalar_or_a_one_of_input_is_left_to_the_full_check() {
        assert!(!fits("query($s: String) { x }", serde_json::json!({ "s": null })));
        assert!(!fits("query($d: DateTime) { x }", serde_json::json!({ "d": "2026-01-01" })));
        assert!(!fits("query($p: Pick) { x }", serde_json::json!({ "p": { "a": 1 } })));
        assert!(fits("query($s: String) { x }", serde_json::json!({})), "left out: not checked");
    }

    #[test]
    fn enums_lists_and_input_objects_are_checked_inside() {
        let q = "query($o: Order, $l: [Int!], $r: Range) { x }";
        assert!(fits(q, serde_json::json!({ "o": "NEWEST", "l": [1, 2], "r": { "from": 1 } })));
        assert!(fits(q, serde_json::json!({ "l": 3, "r": { "from": 1, "to": null } })));
        for bad in [
            serde_json::json!({ "o": "SIDEWAYS" }),
            serde_json::json!({ "l": [1, null] }),
            serde_json::json!({ "l": ["1"] }),
            serde_json::json!({ "r": { "to": 2 } }),
            serde_json::json!({ "r": { "from": 1, "extra": 2 } }),
            serde_json::json!({ "r": { "from": "1" } }),
            serde_json::json!({ "r": 5 }),
        ] {
            assert!(!fits(q, bad.clone()), "{bad}");
        }
    }

    #[test]
    fn a_pass_counts_only_for_one_operation_with_every_variable_given() {
        let index = InputIndex::from_sdl(SDL);
        let covers = |query: &str, name: Option<&str>, variables: serde_json::Value| {
            let document = async_graphql::parser::parse_query(query).unwrap();
            index.covers(&document, name, &Variables::from_json(variables))
        };
        let one = "query A($s: String!, $i: Int = 2) { x }";
        assert!(covers(one, None, serde_json::json!({ "s": "a", "i": 1 })));
        assert!(covers(one, Some("A"), serde_json::json!({ "s": "a", "i": null })));
        assert!(!covers(one, None, serde_json::json!({ "s": "a" })), "a variable left out");
        assert!(!covers(one, Some("B"), serde_json::json!({ "s": "a", "i": 1 })));
        let two = "query A { x } query B($i: Int) { x }";
        assert!(!covers(two, Some("B"), serde_json::json!({ "i": 1 })), "two operations");
    }

    #[test]
    fn only_the_chosen_operation_counts() {
        let index = InputIndex::from_sdl(SDL);
        let document = async_graphql::parser::parse_query(
            "query A($s: String!) { x } query B($i: Int!) { x }",
        )
        .unwrap();
        let variables = Variables::from_json(serde_json::json!({ "s": "a", "i": "not a number" }));
        assert!(index.fits(&document, Some("A"), &variables));
        assert!(!index.fits(&document, Some("B"), &variables));
        assert!(!index.fits(&document, None, &variables), "no operation chosen: not sure");
        assert!(!index.fits(&document, Some("C"), &variables));
    }
}
