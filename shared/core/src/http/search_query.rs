//! The certificate search body: `{expression?, ordering?, paging?}`.

use serde_json::Value;

use crate::app::{AppError, Direction, SearchQuery, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::domain::search::{Expression, Field, SearchLimits};

pub fn parse(body: &[u8], limits: &SearchLimits) -> Result<SearchQuery, AppError> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(body).map_err(|e| {
            if e.to_string().starts_with("recursion limit exceeded") {
                AppError::invalid(format!(
                    "the expression is nested too deep: at most {} levels",
                    limits.max_depth
                ))
            } else {
                AppError::invalid(format!("the body is not valid JSON: {e}"))
            }
        })?
    };
    let Some(object) = value.as_object() else {
        return Err(AppError::invalid("the body must be a JSON object"));
    };
    let expression =
        Expression::parse(object.get("expression"), limits).map_err(|e| AppError::invalid(e.to_string()))?;
    let mut query = SearchQuery::new(expression);
    if let Some(orders) = object.get("ordering") {
        query.orders = ordering(orders)?;
    }
    if let Some(paging) = object.get("paging").filter(|p| !p.is_null()) {
        if !paging.is_object() {
            return Err(AppError::invalid(
                "paging is {\"pageNumber\": <from 0>, \"pageSize\": <1 to 1000>}",
            ));
        }
        query.page_number = whole_number(paging, "pageNumber", 0)?;
        query.page_size = whole_number(paging, "pageSize", DEFAULT_PAGE_SIZE)?;
        if query.page_size == 0 || query.page_size > MAX_PAGE_SIZE {
            return Err(AppError::invalid(format!(
                "paging.pageSize must be from 1 to {MAX_PAGE_SIZE}; got {}",
                query.page_size
            )));
        }
    }
    Ok(query)
}

/// `{"orders": [...]}`; `{}` and `null` (what VenafiPS sends without an order) ask for
/// the default order.
fn ordering(value: &Value) -> Result<Vec<(Field, Direction)>, AppError> {
    if value.is_null() || value.as_object().is_some_and(|o| o.is_empty()) {
        return Ok(Vec::new());
    }
    let Some(orders) = value.get("orders").and_then(Value::as_array) else {
        return Err(AppError::invalid(
            "ordering is {\"orders\": [{\"field\": ..., \"direction\": \"ASC\" | \"DESC\"}]}",
        ));
    };
    if orders.len() > 8 {
        return Err(AppError::invalid("ordering may name at most 8 fields"));
    }
    orders
        .iter()
        .map(|order| {
            let name = order.get("field").and_then(Value::as_str).unwrap_or("(none)");
            let field = Field::from_name(name)
                .ok_or_else(|| AppError::invalid(format!("unknown ordering field `{name}`")))?;
            let direction = match order
                .get("direction")
                .and_then(Value::as_str)
                .map(str::to_ascii_uppercase)
            {
                None => Direction::Asc,
                Some(d) if d == "ASC" => Direction::Asc,
                Some(d) if d == "DESC" => Direction::Desc,
                Some(other) => {
                    return Err(AppError::invalid(format!(
                        "unknown ordering direction `{other}`; use ASC or DESC"
                    )))
                }
            };
            Ok((field, direction))
        })
        .collect()
}

/// A paging number: absent is `default`; else a whole number.
fn whole_number(paging: &Value, name: &str, default: usize) -> Result<usize, AppError> {
    let refuse = || AppError::invalid(format!("paging.{name} must be a whole number from 0"));
    match paging.get(name) {
        None => Ok(default),
        Some(Value::Number(n)) => n.as_u64().map(|n| n as usize).ok_or_else(refuse),
        Some(_) => Err(refuse()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_json(body: &str) -> Result<SearchQuery, AppError> {
        parse(body.as_bytes(), &SearchLimits::default())
    }

    #[test]
    fn an_empty_body_searches_everything_on_the_first_page() {
        for body in ["", "{}", r#"{"expression": {}}"#] {
            let query = parse_json(body).unwrap();
            assert_eq!(
                (query.expression, query.page_number, query.page_size),
                (Expression::All, 0, 100)
            );
        }
    }

    #[test]
    fn empty_expression_and_ordering_objects_ask_for_everything_in_the_default_order() {
        // What VenafiPS sends when it has no filter and no order.
        for body in [
            r#"{"expression": {}, "ordering": {}}"#,
            r#"{"expression": null, "ordering": null, "paging": {}}"#,
            r#"{"ordering": {"orders": []}}"#,
        ] {
            let query = parse_json(body).unwrap();
            assert_eq!(
                (query.expression, query.orders),
                (Expression::All, vec![]),
                "{body}"
            );
        }
    }

    #[test]
    fn paging_and_ordering_are_read() {
        let query = parse_json(
            r#"{"paging": {"pageNumber": 2, "pageSize": 10},
                "ordering": {"orders": [{"field": "validityEnd", "direction": "desc"}]}}"#,
        )
        .unwrap();
        assert_eq!((query.page_number, query.page_size), (2, 10));
        assert_eq!(query.orders, vec![(Field::ValidityEnd, Direction::Desc)]);
    }

    #[test]
    fn out_of_range_paging_is_refused_by_name() {
        for (body, named) in [
            (r#"{"paging": {"pageSize": 1001}}"#, "pageSize"),
            (r#"{"paging": {"pageSize": 0}}"#, "pageSize"),
            (r#"{"paging": {"pageNumber": -1}}"#, "pageNumber"),
            (r#"{"paging": {"pageNumber": 1.5}}"#, "pageNumber"),
            (r#"{"paging": {"pageSize": null}}"#, "pageSize"),
            (r#"{"paging": {"pageSize": "10"}}"#, "pageSize"),
            (r#"{"ordering": {"orders": [{"field": "nope"}]}}"#, "nope"),
        ] {
            let error = parse_json(body).unwrap_err().to_string();
            assert!(error.contains(named), "{body}: {error}");
        }
    }
}
