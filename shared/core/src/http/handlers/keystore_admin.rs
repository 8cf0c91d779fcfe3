//! API B's edge instances, their encryption keys (DEKs), and trusted CA certificates.

use axum::extract::Path;

use crate::app;
use crate::http::{keystore_views, views};

use super::{answer, Answer, Call};
use crate::http::contract::api_b;

pub(super) async fn edge_instances(call: Call) -> Answer {
    let edges = app::list_edge_instances(&call.deps, &call.caller).await?;
    answer(views::json(200, &keystore_views::edge_instances(&edges)))
}

pub(super) async fn encryption_key(Path(id): Path<String>, call: Call) -> Answer {
    let key = app::get_encryption_key(&call.deps, &call.caller, &id).await?;
    answer(views::json(200, &keystore_views::encryption_key(&key)))
}

pub(super) async fn add_trusted_ca(call: Call) -> Answer {
    let body: api_b::NewTrustedCa = call.json()?;
    let ca = app::add_trusted_ca(&call.deps, &call.caller, &body.certificate).await?;
    answer(views::json(201, &keystore_views::trusted_ca(&ca)))
}

pub(super) async fn trusted_cas(call: Call) -> Answer {
    let cas = app::list_trusted_cas(&call.deps, &call.caller).await?;
    answer(views::json(200, &keystore_views::trusted_cas(&cas)))
}
