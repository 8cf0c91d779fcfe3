//! The certificate search language of the Venafi-compatible search route: an expression
//! of conditions on certificate fields, parsed with limits (hostile input is a clear
//! error, never a stack overflow) and evaluated on one certificate's facts.

mod expression;
mod fields;
mod matching;

pub use expression::{Expression, Operand, Operator, SearchError, SearchLimits};
pub use fields::{Field, FieldKind};
pub use matching::{Fact, Facts};

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::{json, Value};

    use super::*;

    struct Certificate(HashMap<&'static str, Vec<Fact>>);

    impl Facts for Certificate {
        fn facts(&self, field: Field) -> Vec<Fact> {
            self.0.get(field.name()).cloned().unwrap_or_default()
        }
    }

    fn text(s: &str) -> Fact {
        Fact::Text(s.to_string())
    }

    fn date(s: &str) -> Fact {
        Fact::Date(
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&chrono::Utc),
        )
    }

    fn meter() -> Certificate {
        Certificate(HashMap::from([
            ("subjectCN", vec![text("meter-001.example.com")]),
            ("fingerprint", vec![text("0AB1C2D3E4F5")]),
            ("serialNumber", vec![text("00A0B1")]),
            (
                "subjectAlternativeNameDns",
                vec![text("a.example.com"), text("b.example.com")],
            ),
            ("keyStrength", vec![Fact::Number(2048)]),
            ("validityEnd", vec![date("2027-03-01T00:00:00Z")]),
            ("hasPrivateKey", vec![Fact::Bool(true)]),
        ]))
    }

    fn parse(expression: Value) -> Result<Expression, SearchError> {
        Expression::parse(Some(&expression), &SearchLimits::default())
    }

    fn matches(expression: Value) -> bool {
        parse(expression.clone())
            .unwrap_or_else(|e| panic!("{expression}: {e}"))
            .matches(&meter())
    }

    #[test]
    fn no_expression_or_an_empty_one_matches_everything() {
        assert_eq!(
            Expression::parse(None, &SearchLimits::default()),
            Ok(Expression::All)
        );
        assert!(matches(json!({})));
    }

    #[test]
    fn conditions_take_value_or_values_and_array_fields_match_on_any_element() {
        assert!(matches(
            json!({"field": "subjectCN", "operator": "EQ", "value": "meter-001.example.com"})
        ));
        assert!(matches(
            json!({"field": "subjectAlternativeNameDns", "operator": "MATCH", "values": ["x", "b.example.com"]})
        ));
        assert!(!matches(
            json!({"field": "subjectCN", "operator": "IN", "values": ["other"]})
        ));
        assert!(matches(
            json!({"field": "subjectCN", "operator": "FIND", "value": "METER-001"})
        ));
    }

    #[test]
    fn fingerprints_and_serials_compare_without_case_or_separators() {
        assert!(matches(
            json!({"field": "fingerprint", "operator": "EQ", "value": "0a:b1:c2:d3:e4:f5"})
        ));
    }

    #[test]
    fn serials_compare_as_numbers() {
        for spelling in ["00a0b1", "a0b1", "A0:B1", "0xA0B1"] {
            assert!(
                matches(json!({"field": "serialNumber", "operator": "EQ", "value": spelling})),
                "{spelling}"
            );
        }
        assert!(!matches(
            json!({"field": "serialNumber", "operator": "EQ", "value": "a0b10"})
        ));
        assert!(matches(
            json!({"field": "serialNumber", "operator": "FIND", "value": "0b"})
        ));
    }

    #[test]
    fn numbers_booleans_and_dates_may_arrive_as_strings() {
        assert!(matches(
            json!({"field": "keyStrength", "operator": "GTE", "value": "2048"})
        ));
        assert!(!matches(
            json!({"field": "keyStrength", "operator": "GT", "value": 2048})
        ));
        assert!(matches(
            json!({"field": "hasPrivateKey", "operator": "EQ", "value": "True"})
        ));
        assert!(matches(
            json!({"field": "validityEnd", "operator": "LT", "value": "2027-03-01T01:00:00.123456789+00:30"})
        ));
        assert!(!matches(
            json!({"field": "validityEnd", "operator": "LT", "value": "2027-02-28T23:59:59Z"})
        ));
    }

    #[test]
    fn groups_default_to_and_and_not_negates() {
        let cn = json!({"field": "subjectCN", "operator": "FIND", "value": "meter"});
        let weak = json!({"field": "keyStrength", "operator": "LT", "value": 2048});
        assert!(!matches(json!({"operands": [cn, weak]})));
        assert!(matches(json!({"operator": "OR", "operands": [cn, weak]})));
        assert!(matches(json!({"operator": "NOT", "operand": weak})));
    }

    #[test]
    fn unknown_fields_and_operators_are_refused_by_name() {
        let e = parse(json!({"field": "nickname", "operator": "EQ", "value": "x"})).unwrap_err();
        assert_eq!(e, SearchError::UnknownField("nickname".into()));
        let e = parse(json!({"field": "subjectCN", "operator": "LIKE", "value": "x"})).unwrap_err();
        assert_eq!(e, SearchError::UnknownOperator("LIKE".into()));
        let e = parse(json!({"operator": "XOR", "operands": []})).unwrap_err();
        assert_eq!(e, SearchError::UnknownOperator("XOR".into()));
        assert!(parse(json!({"field": "subjectCN", "operator": "GT", "value": "x"})).is_err());
    }

    #[test]
    fn bad_values_are_refused_saying_what_the_field_takes() {
        let e =
            parse(json!({"field": "validityEnd", "operator": "GT", "value": "next tuesday"})).unwrap_err();
        assert!(e.to_string().contains("RFC 3339"), "{e}");
        let e = parse(json!({"field": "keyStrength", "operator": "EQ", "value": "strong"})).unwrap_err();
        assert!(e.to_string().contains("whole number"), "{e}");
        assert!(parse(json!({"field": "subjectCN", "operator": "EQ"})).is_err());
    }

    #[test]
    fn hostile_expressions_are_refused_before_they_cost_anything() {
        let mut deep = json!({"field": "subjectCN", "operator": "EQ", "value": "x"});
        for _ in 0..100 {
            deep = json!({"operator": "NOT", "operand": deep});
        }
        assert_eq!(parse(deep), Err(SearchError::TooDeep(32)));
        let condition = json!({"field": "subjectCN", "operator": "EQ", "value": "x"});
        let wide = json!({"operands": vec![condition; 200_000]});
        assert_eq!(parse(wide), Err(SearchError::TooManyOperands(1_000)));
        let long = json!({"field": "subjectCN", "operator": "EQ", "value": "x".repeat(1 << 20)});
        assert_eq!(parse(long), Err(SearchError::ValueTooLong("subjectCN", 4_096)));
    }
}
