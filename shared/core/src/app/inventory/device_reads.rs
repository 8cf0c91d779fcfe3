//! The DigiCert-compatible reads: devices (with their certificate) and the certificates
//! devices hold, paged by `limit` and `offset` with the `total` of matches. Devices list
//! in creation order; a device identifier or serial number is a key lookup; creation
//! ranges read that range of the listing; everything else pages through it.

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{certificate_id, format_timestamp, same_serial, stored_serials, DeviceRecord, KeyRange};
use crate::parsing::{certificate_details, CertificateDetails};
use crate::ports::CertificateLookup;

use crate::app::{AppError, Caller, Deps};

pub const DEFAULT_DEVICE_LIMIT: usize = 20;
pub const MAX_DEVICE_LIMIT: usize = 1_000;
/// How far `offset` may reach: deeper, narrow the filters.
pub const MAX_DEVICE_OFFSET: usize = 100_000;
const SCAN_PAGE: usize = 500;

/// A device as the DigiCert routes show it.
#[derive(Debug, Clone)]
pub struct DeviceView {
    pub device: DeviceRecord,
    pub profile_name: String,
    pub certificate_id: String,
    pub details: Option<CertificateDetails>,
    /// The certificate's issuers (DER, issuer first) when a keystore brought them; only
    /// filled for the certificate list.
    pub chain: Vec<Vec<u8>>,
}

#[derive(Debug)]
pub struct Paged<T> {
    pub limit: usize,
    pub offset: usize,
    pub total: u64,
    pub records: Vec<T>,
}

/// An instant bound of a filter: `YYYY-MM-DD` (the day's start for `from`, its end for
/// `to`) or RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    From,
    To,
}

pub fn parse_instant(name: &str, value: &str, bound: Bound) -> Result<DateTime<Utc>, AppError> {
    // A `+` of an offset arrives as a space when the query string was not encoded.
    let value = value.trim().replace(' ', "+");
    if let Ok(day) = NaiveDate::parse_from_str(&value, "%Y-%m-%d") {
        let time = match bound {
            Bound::From => day.and_hms_opt(0, 0, 0),
            Bound::To => day.and_hms_micro_opt(23, 59, 59, 999_999),
        };
        if let Some(time) = time {
            return Ok(time.and_utc());
        }
    }
    DateTime::parse_from_rfc3339(&value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            AppError::invalid(format!(
                "{name} must be a date (YYYY-MM-DD) or an RFC 3339 time; got `{value}`"
            ))
        })
}

/// What a device list selects.
#[derive(Debug, Clone, Default)]
pub struct DeviceFilter {
    pub device_identifier: Option<String>,
    pub profile_id: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Devices are never changed once made: `updated` is `created`.
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
}

impl DeviceFilter {
    fn range(&self) -> KeyRange {
        let latest = |a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>| a.max(b);
        let earliest = |a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        KeyRange {
            from: latest(self.created_from, self.updated_from).map(format_timestamp),
            // Keys are `<created>#<identifier>`: past every identifier of that instant.
            to: earliest(self.created_to, self.updated_to)
                .map(|t| format!("{}#\u{10FFFF}", format_timestamp(t))),
            after: None,
        }
    }

    fn admits(&self, device: &DeviceRecord) -> bool {
        self.profile_id.as_ref().is_none_or(|p| *p == device.profile_id)
            && self
                .device_identifier
                .as_ref()
                .is_none_or(|d| *d == device.device_identifier)
            && {
                let range = self.range();
                let key = device.sort_key();
                range.from.is_none_or(|from| key >= from) && range.to.is_none_or(|to| key <= to)
            }
    }
}

pub(crate) fn check_paging(limit: usize, offset: usize) -> Result<(), AppError> {
    if !(1..=MAX_DEVICE_LIMIT).contains(&limit) {
        return Err(AppError::invalid(format!(
            "limit must be from 1 to {MAX_DEVICE_LIMIT}; got {limit}"
        )));
    }
    if offset > MAX_DEVICE_OFFSET {
        return Err(AppError::invalid(format!(
            "offset may be at most {MAX_DEVICE_OFFSET}: narrow the filters to reach these records"
        )));
    }
    Ok(())
}

/// Names of the tenant's profiles, looked up once each.
struct ProfileNames<'a> {
    deps: &'a Deps,
    tenant_id: &'a str,
    names: HashMap<String, String>,
}

impl ProfileNames<'_> {
    async fn name(&mut self, id: &str) -> Result<String, AppError> {
        if let Some(name) = self.names.get(id) {
            return Ok(name.clone());
        }
        let profile = self.deps.tenants.get_profile(self.tenant_id, id).await?;
        let name = profile.map(|p| p.name).unwrap_or_default();
        self.names.insert(id.to_string(), name.clone());
        Ok(name)
    }
}

impl DeviceView {
    async fn of(device: DeviceRecord, profiles: &mut ProfileNames<'_>) -> Result<DeviceView, AppError> {
        let der = B64.decode(&device.certificate).unwrap_or_default();
        Ok(DeviceView {
            profile_name: profiles.name(&device.profile_id).await?,
            certificate_id: certificate_id(&device.tenant_id, &device.fingerprint_sha256),
            details: certificate_details(&der).ok(),
            chain: Vec::new(),
            device,
        })
    }
}

/// Where the devices of a list come from.
enum Source {
    /// One device, by identifier (a key lookup).
    Identifier(String),
    /// The devices holding certificates with this serial number, in any of the forms
    /// records may hold it (index lookups).
    Serial(Vec<String>),
    /// The tenant's devices in creation order, within a range.
    Listing(KeyRange),
}

/// Matches counted; the `[offset, offset + limit)` of them kept.
struct Window {
    offset: u64,
    limit: u64,
    total: u64,
    devices: Vec<DeviceRecord>,
}

impl Window {
    fn offer(&mut self, device: DeviceRecord) {
        if (self.offset..self.offset + self.limit).contains(&self.total) {
            self.devices.push(device);
        }
        self.total += 1;
    }
}

/// The devices of `source` that `filter` and `admits` keep, one page of them as views.
async fn page_devices(
    deps: &Deps,
    caller: &Caller,
    source: Source,
    filter: &DeviceFilter,
    admits: impl Fn(Option<&CertificateDetails>) -> bool,
    (limit, offset): (usize, usize),
) -> Result<Paged<DeviceView>, AppError> {
    check_paging(limit, offset)?;
    let tenant = caller.tenant.id.as_str();
    let mut window = Window {
        offset: offset as u64,
        limit: limit as u64,
        total: 0,
        devices: Vec::new(),
    };
    let mut consider = |device: DeviceRecord| {
        let der = B64.decode(&device.certificate).unwrap_or_default();
        if filter.admits(&device) && admits(certificate_details(&der).ok().as_ref()) {
            window.offer(device);
        }
    };
    match source {
        Source::Identifier(identifier) => deps
            .inventory
            .get_device(tenant, &identifier)
            .await?
            .into_iter()
            .for_each(consider),
        Source::Serial(serials) => {
            let mut entries = Vec::new();
            for serial in serials {
                entries.extend(
                    deps.inventory
                        .find_certificates(tenant, &CertificateLookup::Serial(serial))
                        .await?,
                );
            }
            for entry in entries {
                if let Some(identifier) = entry.device_identifier {
                    deps.inventory
                        .get_device(tenant, &identifier)
                        .await?
                        .into_iter()
                        .for_each(&mut consider);
                }
            }
        }
        Source::Listing(mut range) => loop {
            let page = deps.inventory.list_devices(tenant, &range, SCAN_PAGE).await?;
            page.items.into_iter().for_each(&mut consider);
            match page.next {
                Some(after) => range.after = Some(after),
                None => break,
            }
        },
    }
    let mut profiles = ProfileNames {
        deps,
        tenant_id: tenant,
        names: HashMap::new(),
    };
    let mut records = Vec::with_capacity(window.devices.len());
    for device in window.devices {
        records.push(DeviceView::of(device, &mut profiles).await?);
    }
    Ok(Paged {
        limit,
        offset,
        total: window.total,
        records,
    })
}

pub async fn list_devices(
    deps: &Deps,
    caller: &Caller,
    filter: DeviceFilter,
    limit: usize,
    offset: usize,
) -> Result<Paged<DeviceView>, AppError> {
    let source = match &filter.device_identifier {
        Some(identifier) => Source::Identifier(identifier.clone()),
        None => Source::Listing(filter.range()),
    };
    page_devices(deps, caller, source, &filter, |_| true, (limit, offset)).await
}

pub async fn get_device(deps: &Deps, caller: &Caller, id: &str) -> Result<DeviceView, AppError> {
    uuid::Uuid::parse_str(id)
        .map_err(|_| AppError::invalid(format!("`{id}` is not a device id (a UUID)")))?;
    let device = deps
        .inventory
        .get_device_by_id(&caller.tenant.id, id)
        .await?
        .ok_or(AppError::NotFound("device"))?;
    let mut profiles = ProfileNames {
        deps,
        tenant_id: &caller.tenant.id,
        names: HashMap::new(),
    };
    DeviceView::of(device, &mut profiles).await
}

/// ISSUED until its validity ends, then EXPIRED.
pub fn certificate_status(details: &CertificateDetails, now: DateTime<Utc>) -> &'static str {
    if details.validity_end < now {
        "EXPIRED"
    } else {
        "ISSUED"
    }
}

/// What a certificate list selects.
#[derive(Debug, Clone, Default)]
pub struct CertificateFilter {
    pub profile_id: Option<String>,
    pub common_name: Option<String>,
    pub serial_number: Option<String>,
    /// `ISSUED` or `EXPIRED`.
    pub status: Option<String>,
}

/// The certificates devices hold (a certificate only a keystore brought in is not a
/// device's), in device creation order.
pub async fn list_device_certificates(
    deps: &Deps,
    caller: &Caller,
    filter: CertificateFilter,
    limit: usize,
    offset: usize,
) -> Result<Paged<DeviceView>, AppError> {
    if let Some(status) = &filter.status {
        if status != "ISSUED" && status != "EXPIRED" {
            return Err(AppError::invalid(format!(
                "status must be ISSUED or EXPIRED; got `{status}`"
            )));
        }
    }
    let now = Utc::now();
    let serial = filter.serial_number.as_deref();
    let admits = |details: Option<&CertificateDetails>| {
        let Some(d) = details else { return false };
        filter
            .common_name
            .as_ref()
            .is_none_or(|cn| d.subject_cn.iter().any(|c| c == cn))
            && serial.is_none_or(|s| same_serial(&d.serial_number, s))
            && filter
                .status
                .as_deref()
                .is_none_or(|s| certificate_status(d, now) == s)
    };
    let device_filter = DeviceFilter {
        profile_id: filter.profile_id.clone(),
        ..Default::default()
    };
    let source = match serial {
        Some(serial) => Source::Serial(stored_serials(serial)),
        None => Source::Listing(KeyRange::default()),
    };
    let mut page = page_devices(deps, caller, source, &device_filter, admits, (limit, offset)).await?;
    for view in &mut page.records {
        if let Some(entry) = deps
            .inventory
            .get_certificate(&caller.tenant.id, &view.certificate_id)
            .await?
        {
            view.chain = super::certificate_reads::chain_ders(&entry).split_off(1);
        }
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_take_days_and_rfc3339_with_an_unencoded_plus() {
        let day_end = parse_instant("created_to", "2026-01-31", Bound::To).unwrap();
        assert_eq!(format_timestamp(day_end), "2026-01-31T23:59:59.999999Z");
        let day_start = parse_instant("created_from", "2026-01-31", Bound::From).unwrap();
        assert_eq!(format_timestamp(day_start), "2026-01-31T00:00:00.000000Z");
        let offset = parse_instant("updated_to", "2026-01-31T12:00:00 01:00", Bound::To).unwrap();
        assert_eq!(format_timestamp(offset), "2026-01-31T11:00:00.000000Z");
        let refused = parse_instant("created_from", "yesterday", Bound::From).unwrap_err();
        assert!(refused.to_string().contains("created_from"), "{refused}");
    }
}
