use chrono::{DateTime, Utc};
use serde_json::Value;

use super::fields::{Field, FieldKind};

/// What an expression may hold; past these it is refused, before any deep recursion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchLimits {
    pub max_depth: usize,
    pub max_operands: usize,
    /// Bytes of one value.
    pub max_value_bytes: usize,
}

impl Default for SearchLimits {
    fn default() -> Self {
        SearchLimits {
            max_depth: 32,
            max_operands: 1_000,
            max_value_bytes: 4_096,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// Equal to the value, or to any of the values.
    Eq,
    Match,
    In,
    /// Case-insensitive substring.
    Find,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Operator {
    fn from_name(name: &str) -> Option<Operator> {
        Some(match name {
            "EQ" => Operator::Eq,
            "MATCH" => Operator::Match,
            "IN" => Operator::In,
            "FIND" => Operator::Find,
            "GT" => Operator::Gt,
            "GTE" => Operator::Gte,
            "LT" => Operator::Lt,
            "LTE" => Operator::Lte,
            _ => return None,
        })
    }

    fn is_ordering(self) -> bool {
        matches!(self, Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte)
    }
}

/// A value of a condition, already in its field's kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Text(String),
    Number(i64),
    Date(DateTime<Utc>),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expression {
    /// `{}`, or no expression: every certificate.
    All,
    Condition {
        field: Field,
        operator: Operator,
        values: Vec<Operand>,
    },
    And(Vec<Expression>),
    Or(Vec<Expression>),
    Not(Box<Expression>),
}

/// Why an expression was refused; the message names what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error("unknown search field `{0}`")]
    UnknownField(String),
    #[error("unknown search operator `{0}`")]
    UnknownOperator(String),
    #[error("the expression is nested deeper than {0} levels")]
    TooDeep(usize),
    #[error("the expression has more than {0} operands")]
    TooManyOperands(usize),
    #[error("a value of `{0}` is longer than {1} bytes")]
    ValueTooLong(&'static str, usize),
    #[error("`{field}` takes {expected}; got {got}")]
    BadValue {
        field: &'static str,
        expected: &'static str,
        got: String,
    },
    #[error("operator {operator} does not apply to `{field}`")]
    OperatorNotApplicable { operator: String, field: &'static str },
    #[error("{0}")]
    Malformed(String),
}

impl Expression {
    /// Parses a search body's `expression` (absent or `null` matches everything).
    pub fn parse(json: Option<&Value>, limits: &SearchLimits) -> Result<Expression, SearchError> {
        let mut operands = 0;
        match json {
            None | Some(Value::Null) => Ok(Expression::All),
            Some(value) => parse(value, limits, 1, &mut operands),
        }
    }
}

fn malformed(message: impl Into<String>) -> SearchError {
    SearchError::Malformed(message.into())
}

fn parse(
    value: &Value,
    limits: &SearchLimits,
    depth: usize,
    operands: &mut usize,
) -> Result<Expression, SearchError> {
    if depth > limits.max_depth {
        return Err(SearchError::TooDeep(limits.max_depth));
    }
    let Value::Object(object) = value else {
        return Err(malformed("an expression is a JSON object"));
    };
    if object.is_empty() {
        return Ok(Expression::All);
    }
    let operator = match object.get("operator") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name.as_str()),
        Some(other) => return Err(SearchError::UnknownOperator(other.to_string())),
    };
    if let Some(field) = object.get("field") {
        return condition(field, operator, object, limits, operands);
    }
    if operator == Some("NOT") {
        let operand = object
            .get("operand")
            .ok_or_else(|| malformed("NOT takes one `operand`"))?;
        count(operands, 1, limits)?;
        return Ok(Expression::Not(Box::new(parse(
            operand,
            limits,
            depth + 1,
            operands,
        )?)));
    }
    let Some(Value::Array(items)) = object.get("operands") else {
        return Err(malformed(
            "an expression is a condition (`field`), a group (`operands`) or NOT (`operand`)",
        ));
    };
    count(operands, items.len(), limits)?;
    let parsed = items
        .iter()
        .map(|item| parse(item, limits, depth + 1, operands))
        .collect::<Result<Vec<_>, _>>()?;
    match operator {
        None | Some("AND") => Ok(Expression::And(parsed)),
        Some("OR") => Ok(Expression::Or(parsed)),
        Some(other) => Err(SearchError::UnknownOperator(other.to_string())),
    }
}

fn count(operands: &mut usize, more: usize, limits: &SearchLimits) -> Result<(), SearchError> {
    *operands = operands.saturating_add(more);
    if *operands > limits.max_operands {
        return Err(SearchError::TooManyOperands(limits.max_operands));
    }
    Ok(())
}

fn condition(
    field: &Value,
    operator: Option<&str>,
    object: &serde_json::Map<String, Value>,
    limits: &SearchLimits,
    operands: &mut usize,
) -> Result<Expression, SearchError> {
    let name = field.as_str().ok_or_else(|| malformed("`field` is a string"))?;
    let field = Field::from_name(name).ok_or_else(|| SearchError::UnknownField(truncated(name)))?;
    let operator_name = operator
        .ok_or_else(|| malformed(format!("the condition on `{}` needs an `operator`", field.name())))?;
    let operator = Operator::from_name(operator_name)
        .ok_or_else(|| SearchError::UnknownOperator(truncated(operator_name)))?;
    let kind = field.kind();
    let applicable = match operator {
        Operator::Find => matches!(
            kind,
            FieldKind::Text | FieldKind::CaseInsensitive | FieldKind::Hex | FieldKind::Serial
        ),
        o if o.is_ordering() => matches!(kind, FieldKind::Number | FieldKind::Date),
        _ => true,
    };
    if !applicable {
        return Err(SearchError::OperatorNotApplicable {
            operator: operator_name.to_string(),
            field: field.name(),
        });
    }
    let raw: Vec<&Value> = match (object.get("value"), object.get("values")) {
        (Some(value), None) if !value.is_null() => vec![value],
        (None | Some(Value::Null), Some(Value::Array(values))) => values.iter().collect(),
        _ => {
            return Err(malformed(format!(
                "the condition on `{}` needs `value` or `values`",
                field.name()
            )))
        }
    };
    if raw.is_empty() {
        return Err(malformed(format!("`values` of `{}` is empty", field.name())));
    }
    count(operands, raw.len(), limits)?;
    let values = raw
        .into_iter()
        .map(|value| operand(field, value, limits))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Expression::Condition {
        field,
        operator,
        values,
    })
}

fn truncated(text: &str) -> String {
    text.chars().take(64).collect()
}

fn operand(field: Field, value: &Value, limits: &SearchLimits) -> Result<Operand, SearchError> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => {
            return Err(SearchError::BadValue {
                field: field.name(),
                expected: "a string, number or boolean",
                got: truncated(&other.to_string()),
            })
        }
    };
    if text.len() > limits.max_value_bytes {
        return Err(SearchError::ValueTooLong(field.name(), limits.max_value_bytes));
    }
    let bad = |expected| SearchError::BadValue {
        field: field.name(),
        expected,
        got: truncated(&text),
    };
    Ok(match field.kind() {
        FieldKind::Text | FieldKind::CaseInsensitive | FieldKind::Hex | FieldKind::Serial => {
            Operand::Text(text.clone())
        }
        FieldKind::Number => Operand::Number(text.trim().parse().map_err(|_| bad("a whole number"))?),
        FieldKind::Bool => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Operand::Bool(true),
            "false" => Operand::Bool(false),
            _ => return Err(bad("true or false")),
        },
        FieldKind::Date => Operand::Date(
            DateTime::parse_from_rfc3339(text.trim())
                .map_err(|_| bad("an RFC 3339 date, with Z or an offset"))?
                .with_timezone(&Utc),
        ),
    })
}
