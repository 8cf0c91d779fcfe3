//! The Venafi-compatible certificate search: which certificates to read (key lookups
//! when the expression pins an id, fingerprint or serial number; the expiry index for a
//! `validityEnd` range; otherwise the tenant's whole listing, page by page), then the
//! expression on each, counting every match and keeping only the requested page.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use chrono::{DateTime, Duration, Utc};

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

use crate::domain::search::{Expression, Fact, Facts, Field, Operand, Operator};
use crate::domain::{certificate_id, stored_serials, InventoryEntry, KeyRange};
use crate::parsing::{CertificateDetails, SearchFacts};
use crate::ports::CertificateLookup;

use crate::app::inventory::certificate_reads::{CertificateView, Views};
use crate::app::{AppError, Caller, Deps};

/// Certificates read from the store per page of a scan.
const SCAN_PAGE: usize = 500;
/// Matches a search may page past (page number x page size): deeper pages must narrow
/// the expression, so an ordered search keeps a bounded number of matches in memory.
pub const MAX_SEARCH_DEPTH: usize = 100_000;
pub const MAX_PAGE_SIZE: usize = 1_000;
pub const DEFAULT_PAGE_SIZE: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub expression: Expression,
    pub orders: Vec<(Field, Direction)>,
    pub page_number: usize,
    pub page_size: usize,
}

impl SearchQuery {
    pub fn new(expression: Expression) -> Self {
        SearchQuery {
            expression,
            orders: Vec::new(),
            page_number: 0,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

#[derive(Debug)]
pub struct SearchPage {
    /// Every match, not only this page's.
    pub count: u64,
    pub certificates: Vec<CertificateView>,
}

/// The name a certificate goes by: its CN, else its SHA-1 fingerprint.
pub fn certificate_name(details: &CertificateDetails) -> String {
    details
        .subject_cn
        .first()
        .cloned()
        .unwrap_or_else(|| details.fingerprint_sha1.clone())
}

/// Where the matches can only be.
#[derive(Debug, PartialEq)]
enum Candidates {
    Ids(Vec<String>),
    /// SHA-256 fingerprints (lower-case hex): ids, once the tenant is known.
    Sha256(Vec<String>),
    Lookups(Vec<CertificateLookup>),
    Range(KeyRange),
}

fn normalized_hex(value: &str) -> String {
    value
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The candidates a condition pins, if it pins any.
fn pinned(expression: &Expression) -> Option<Candidates> {
    let Expression::Condition {
        field,
        operator,
        values,
    } = expression
    else {
        return None;
    };
    if !matches!(operator, Operator::Eq | Operator::Match | Operator::In) {
        return None;
    }
    let texts = values.iter().filter_map(|v| match v {
        Operand::Text(t) => Some(t.as_str()),
        _ => None,
    });
    match field {
        Field::Id => Some(Candidates::Ids(texts.map(str::to_string).collect())),
        Field::Fingerprint => Some(Candidates::Lookups(
            texts
                .map(|t| CertificateLookup::Sha1(normalized_hex(t)))
                .collect(),
        )),
        Field::FingerprintSha256 => Some(Candidates::Sha256(
            texts.map(|t| normalized_hex(t).to_ascii_lowercase()).collect(),
        )),
        Field::SerialNumber => Some(Candidates::Lookups(
            texts
                .flat_map(stored_serials)
                .map(CertificateLookup::Serial)
                .collect(),
        )),
        _ => None,
    }
}

/// The expiry range a `validityEnd` comparison bounds to, as listing keys
/// (`<validity end>#<id>`, validity to the second).
fn bounded(expression: &Expression, range: &mut KeyRange) -> bool {
    let Expression::Condition {
        field: Field::ValidityEnd,
        operator,
        values,
    } = expression
    else {
        return false;
    };
    let [Operand::Date(at)] = values.as_slice() else {
        return false;
    };
    let at_second = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let whole = at.timestamp_subsec_nanos() == 0;
    // Listing keys are `<second>#<id>`: `<second>` sorts before them, `<second>#~` after.
    let (from, to) = match operator {
        Operator::Gte if whole => (Some(at_second(*at)), None),
        Operator::Gte | Operator::Gt => (Some(format!("{}#~", at_second(*at))), None),
        Operator::Lt if whole => (None, Some(at_second(*at))),
        Operator::Lt | Operator::Lte => (None, Some(format!("{}#~", at_second(*at)))),
        _ => return false,
    };
    // A fraction rounds the second down: `> 10.5` is `>= 11`, `<= 10.5` is `<= 10`.
    let (from, to) = match (operator, whole) {
        (Operator::Gte, false) => (Some(at_second(*at + Duration::seconds(1))), None),
        _ => (from, to),
    };
    if let Some(from) = from {
        range.from = Some(range.from.take().map_or(from.clone(), |f| f.max(from)));
    }
    if let Some(to) = to {
        range.to = Some(range.to.take().map_or(to.clone(), |t| t.min(to)));
    }
    true
}

fn candidates(expression: &Expression) -> Candidates {
    let conditions: &[Expression] = match expression {
        Expression::And(all) => all,
        single => std::slice::from_ref(single),
    };
    if let Some(pinned) = conditions.iter().find_map(pinned) {
        return pinned;
    }
    let mut range = KeyRange::default();
    for condition in conditions {
        bounded(condition, &mut range);
    }
    Candidates::Range(range)
}

/// The entries that match, ranked; parsed and evaluated on the blocking pool, a share of
/// them on each core.
async fn evaluate(
    entries: Vec<InventoryEntry>,
    expression: Arc<Expression>,
    orders: Arc<Vec<(Field, Direction)>>,
) -> Result<Vec<Ranked>, AppError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let share = entries.len().div_ceil(cores);
    let mut entries = entries;
    let mut tasks = Vec::new();
    while !entries.is_empty() {
        let rest = entries.split_off(share.min(entries.len()));
        let mine = std::mem::replace(&mut entries, rest);
        let (expression, orders) = (expression.clone(), orders.clone());
        tasks.push(tokio::task::spawn_blocking(move || {
            mine.into_iter()
                .filter_map(|entry| {
                    let der = B64.decode(&entry.certificate.certificate).ok()?;
                    let facts = SearchFacts::new(&entry, &der).ok()?;
                    let key = expression.matches(&facts).then(|| sort_key(&orders, &facts))?;
                    drop(facts);
                    Some(Ranked { key, entry })
                })
                .collect::<Vec<_>>()
        }));
    }
    let mut ranked = Vec::new();
    for task in futures_util::future::join_all(tasks).await {
        ranked.extend(task.map_err(|e| crate::ports::InfraError::permanent("search", e))?);
    }
    Ok(ranked)
}

/// One match while searching: its position in the requested order, and the entry.
struct Ranked {
    key: Vec<SortValue>,
    entry: InventoryEntry,
}

#[derive(Debug, Clone, PartialEq)]
enum SortValue {
    Missing,
    Value(Fact),
    /// Descending: compares the other way round.
    Reversed(Box<SortValue>),
}

impl Eq for SortValue {}

impl Ord for SortValue {
    /// A missing value sorts first; values of different kinds (never in one field) tie.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (SortValue::Reversed(a), SortValue::Reversed(b)) => b.cmp(a),
            (SortValue::Missing, SortValue::Missing) => Ordering::Equal,
            (SortValue::Missing, _) => Ordering::Less,
            (_, SortValue::Missing) => Ordering::Greater,
            (SortValue::Value(a), SortValue::Value(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
            _ => Ordering::Equal,
        }
    }
}

impl PartialOrd for SortValue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key).then_with(|| {
            self.entry
                .certificate
                .sort_key()
                .cmp(&other.entry.certificate.sort_key())
        })
    }
}

fn sort_key(orders: &[(Field, Direction)], facts: &dyn Facts) -> Vec<SortValue> {
    orders
        .iter()
        .map(|(field, direction)| {
            let value = facts
                .facts(*field)
                .into_iter()
                .next()
                .map_or(SortValue::Missing, SortValue::Value);
            match direction {
                Direction::Asc => value,
                Direction::Desc => SortValue::Reversed(Box::new(value)),
            }
        })
        .collect()
}

/// The matches of a search, counted, keeping the first `keep` in order.
struct Collector {
    count: u64,
    keep: usize,
    best: BinaryHeap<Ranked>,
}

impl Collector {
    fn offer(&mut self, ranked: Ranked) {
        self.count += 1;
        if self.best.len() < self.keep {
            self.best.push(ranked);
        } else if self.best.peek().is_some_and(|worst| ranked < *worst) {
            self.best.pop();
            self.best.push(ranked);
        }
    }
}

/// The certificates of `ids` the tenant holds (text that is no id names none).
async fn by_ids(deps: &Deps, tenant: &str, ids: &[String]) -> Result<Vec<InventoryEntry>, AppError> {
    let mut entries = Vec::new();
    for id in ids.iter().filter(|id| uuid::Uuid::parse_str(id).is_ok()) {
        entries.extend(deps.inventory.get_certificate(tenant, id).await?);
    }
    Ok(entries)
}

pub async fn search_certificates(
    deps: &Deps,
    caller: &Caller,
    query: SearchQuery,
) -> Result<SearchPage, AppError> {
    if query.page_size == 0 || query.page_size > MAX_PAGE_SIZE {
        return Err(AppError::invalid(format!(
            "pageSize must be from 1 to {MAX_PAGE_SIZE}; got {}",
            query.page_size
        )));
    }
    let skip = query.page_number.saturating_mul(query.page_size);
    if skip > MAX_SEARCH_DEPTH {
        return Err(AppError::invalid(format!(
            "pageNumber x pageSize may be at most {MAX_SEARCH_DEPTH}: narrow the expression to reach these certificates"
        )));
    }
    let mut collector = Collector {
        count: 0,
        keep: skip + query.page_size,
        best: BinaryHeap::new(),
    };
    let tenant = caller.tenant.id.as_str();
    let expression = Arc::new(query.expression);
    let orders = Arc::new(query.orders);
    let evaluate = |entries: Vec<InventoryEntry>| evaluate(entries, expression.clone(), orders.clone());
    match candidates(&expression) {
        Candidates::Ids(ids) => {
            evaluate(by_ids(deps, tenant, &ids).await?)
                .await?
                .into_iter()
                .for_each(|r| collector.offer(r));
        }
        Candidates::Sha256(digests) => {
            let ids: Vec<String> = digests.iter().map(|d| certificate_id(tenant, d)).collect();
            evaluate(by_ids(deps, tenant, &ids).await?)
                .await?
                .into_iter()
                .for_each(|r| collector.offer(r));
        }
        Candidates::Lookups(lookups) => {
            let mut seen = std::collections::HashSet::new();
            let mut entries = Vec::new();
            for lookup in &lookups {
                for entry in deps.inventory.find_certificates(tenant, lookup).await? {
                    if seen.insert(entry.certificate.id.clone()) {
                        entries.push(entry);
                    }
                }
            }
            evaluate(entries)
                .await?
                .into_iter()
                .for_each(|r| collector.offer(r));
        }
        Candidates::Range(mut range) => {
            // The next page is read while this one is evaluated.
            let mut page = deps
                .inventory
                .list_certificates(tenant, &range, SCAN_PAGE)
                .await?;
            loop {
                let next = page.next.take();
                let reading = async {
                    match &next {
                        Some(after) => {
                            range.after = Some(after.clone());
                            deps.inventory
                                .list_certificates(tenant, &range, SCAN_PAGE)
                                .await
                                .map(Some)
                        }
                        None => Ok(None),
                    }
                };
                let (matched, following) = tokio::join!(evaluate(std::mem::take(&mut page.items)), reading);
                matched?.into_iter().for_each(|r| collector.offer(r));
                match following? {
                    Some(following) => page = following,
                    None => break,
                }
            }
        }
    }
    let ranked = collector.best.into_sorted_vec();
    let mut views = Views::new(deps, caller);
    let mut certificates = Vec::new();
    for Ranked { entry, .. } in ranked.into_iter().skip(skip) {
        certificates.push(views.view(entry).await?);
    }
    Ok(SearchPage {
        count: collector.count,
        certificates,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::search::SearchLimits;

    fn plan(expression: serde_json::Value) -> Candidates {
        candidates(&Expression::parse(Some(&expression), &SearchLimits::default()).unwrap())
    }

    fn range(from: Option<&str>, to: Option<&str>) -> Candidates {
        Candidates::Range(KeyRange {
            from: from.map(str::to_string),
            to: to.map(str::to_string),
            after: None,
        })
    }

    #[test]
    fn a_pinned_fingerprint_or_serial_is_a_lookup() {
        let by_fingerprint =
            json!({"operands": [{"field": "fingerprint", "operator": "MATCH", "value": "ab:cd"}]});
        assert_eq!(
            plan(by_fingerprint),
            Candidates::Lookups(vec![CertificateLookup::Sha1("ABCD".into())])
        );
        let by_sha256 = json!({"field": "fingerprintSha256", "operator": "EQ", "value": "AB:CD"});
        assert_eq!(plan(by_sha256), Candidates::Sha256(vec!["abcd".into()]));
        let by_serial = json!({"operator": "AND", "operands": [
            {"field": "subjectCN", "operator": "FIND", "value": "x"},
            {"field": "serialNumber", "operator": "IN", "values": ["a", "0B", "a0b1"]}]});
        assert_eq!(
            plan(by_serial),
            Candidates::Lookups(vec![
                CertificateLookup::Serial("0A".into()),
                CertificateLookup::Serial("0B".into()),
                // A top bit set: with the sign byte DER adds, or as a negative serial.
                CertificateLookup::Serial("00A0B1".into()),
                CertificateLookup::Serial("A0B1".into()),
            ])
        );
    }

    #[test]
    fn validity_end_comparisons_bound_the_expiry_range() {
        let window = json!({"operator": "AND", "operands": [
            {"field": "validityEnd", "operator": "GTE", "value": "2027-01-01T00:00:00Z"},
            {"field": "validityEnd", "operator": "LT", "value": "2027-02-01T00:00:00.000+00:00"}]});
        assert_eq!(
            plan(window),
            range(Some("2027-01-01T00:00:00Z"), Some("2027-02-01T00:00:00Z"))
        );
        let after = json!({"field": "validityEnd", "operator": "GT", "value": "2027-01-01T00:00:00Z"});
        assert_eq!(plan(after), range(Some("2027-01-01T00:00:00Z#~"), None));
        let fraction = json!({"field": "validityEnd", "operator": "GTE", "value": "2027-01-01T00:00:00.5Z"});
        assert_eq!(plan(fraction), range(Some("2027-01-01T00:00:01Z"), None));
        let until = json!({"field": "validityEnd", "operator": "LTE", "value": "2027-01-01T00:00:00Z"});
        assert_eq!(plan(until), range(None, Some("2027-01-01T00:00:00Z#~")));
    }

    #[test]
    fn or_and_not_read_everything() {
        let either = json!({"operator": "OR", "operands": [
            {"field": "fingerprint", "operator": "EQ", "value": "AB"},
            {"field": "subjectCN", "operator": "EQ", "value": "x"}]});
        assert_eq!(plan(either), range(None, None));
        let not = json!({"operator": "NOT", "operand": {"field": "validityEnd", "operator": "LT", "value": "2027-01-01T00:00:00Z"}});
        assert_eq!(plan(not), range(None, None));
    }
}
