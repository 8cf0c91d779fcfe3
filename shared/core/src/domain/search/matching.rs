use chrono::{DateTime, Utc};

use crate::domain::same_serial;

use super::expression::{Expression, Operand, Operator};
use super::fields::{Field, FieldKind};

/// One value a certificate has for a field.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum Fact {
    Text(String),
    Number(i64),
    Date(DateTime<Utc>),
    Bool(bool),
}

/// A certificate as search sees it: every value of each field (array fields have
/// several, a field it lacks has none).
pub trait Facts {
    fn facts(&self, field: Field) -> Vec<Fact>;
}

impl Expression {
    /// Whether the certificate matches; an array field matches when any element does.
    pub fn matches(&self, certificate: &dyn Facts) -> bool {
        match self {
            Expression::All => true,
            Expression::And(all) => all.iter().all(|e| e.matches(certificate)),
            Expression::Or(any) => any.iter().any(|e| e.matches(certificate)),
            Expression::Not(inner) => !inner.matches(certificate),
            Expression::Condition {
                field,
                operator,
                values,
            } => certificate.facts(*field).iter().any(|fact| {
                values
                    .iter()
                    .any(|value| holds(field.kind(), *operator, fact, value))
            }),
        }
    }
}

fn hex_digits(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn holds(kind: FieldKind, operator: Operator, fact: &Fact, value: &Operand) -> bool {
    use std::cmp::Ordering;
    let ordered = |ordering: Ordering| match operator {
        Operator::Gt => ordering == Ordering::Greater,
        Operator::Gte => ordering != Ordering::Less,
        Operator::Lt => ordering == Ordering::Less,
        Operator::Lte => ordering != Ordering::Greater,
        _ => ordering == Ordering::Equal,
    };
    match (fact, value) {
        (Fact::Text(fact), Operand::Text(value))
            if kind == FieldKind::Serial && operator != Operator::Find =>
        {
            same_serial(fact, value)
        }
        (Fact::Text(fact), Operand::Text(value)) => {
            let (fact, value) = match kind {
                FieldKind::Hex | FieldKind::Serial => (hex_digits(fact), hex_digits(value)),
                FieldKind::CaseInsensitive => (fact.to_lowercase(), value.to_lowercase()),
                _ if operator == Operator::Find => (fact.to_lowercase(), value.to_lowercase()),
                _ => (fact.clone(), value.clone()),
            };
            if operator == Operator::Find {
                fact.contains(&value)
            } else {
                fact == value
            }
        }
        (Fact::Number(fact), Operand::Number(value)) => ordered(fact.cmp(value)),
        (Fact::Date(fact), Operand::Date(value)) => ordered(fact.cmp(value)),
        (Fact::Bool(fact), Operand::Bool(value)) => fact == value,
        _ => false,
    }
}
