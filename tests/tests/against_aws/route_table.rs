//! The router, the SAM template and the OpenAPI description name the same routes, and
//! each route is deployed on the function that serves it.

use std::collections::BTreeSet;

use certport_aws::Function;
use certport_core::http::{Route, ROUTES};
use certport_tests::fixtures::repo_root;

type Routes = BTreeSet<(String, String)>;

fn read(name: &str) -> String {
    std::fs::read_to_string(repo_root().join(name)).unwrap()
}

fn router() -> Routes {
    ROUTES
        .iter()
        .map(|(method, path, _)| (method.to_string(), path.to_string()))
        .collect()
}

/// (binary, method, path) of every HttpApi event in `template.yaml`.
fn template_routes() -> Vec<(String, String, String)> {
    let (mut binary, mut method) = (String::new(), String::new());
    let mut routes = Vec::new();
    for line in read("template.yaml").lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("Binary: ") {
            binary = name.to_string();
        } else if let Some(m) = line.strip_prefix("Method: ") {
            method = m.to_uppercase();
        } else if let Some(path) = line.strip_prefix("Path: ") {
            routes.push((binary.clone(), method.clone(), path.to_string()));
        }
    }
    routes
}

/// (method, path) of every operation under `paths:` in `openapi.yaml`.
fn openapi_routes() -> Routes {
    let text = read("openapi.yaml");
    let mut in_paths = false;
    let mut path = String::new();
    let mut routes = Routes::new();
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_paths = line == "paths:";
        } else if in_paths {
            if let Some(p) = line.strip_prefix("  /").and_then(|p| p.strip_suffix(':')) {
                path = format!("/{p}");
            } else if let Some(m) = line.strip_prefix("    ").and_then(|m| m.strip_suffix(':')) {
                if ["get", "post", "put", "delete", "patch"].contains(&m) {
                    routes.insert((m.to_uppercase(), path.clone()));
                }
            }
        }
    }
    routes
}

#[test]
fn the_template_deploys_exactly_the_routers_routes() {
    // The router ignores a trailing `/`; API Gateway routes it only where declared.
    let deployed: Routes = template_routes()
        .into_iter()
        .map(|(_, method, path)| (method, path.trim_end_matches('/').to_string()))
        .collect();
    assert_eq!(deployed, router());
}

#[test]
fn the_openapi_description_lists_exactly_the_routers_routes() {
    assert_eq!(openapi_routes(), router());
}

#[test]
fn each_route_is_deployed_on_the_function_that_serves_it() {
    for (binary, method, path) in template_routes() {
        let sample = path.replace('{', "x").replace('}', "");
        let route = Route::resolve(&method.parse().unwrap(), &sample).unwrap();
        assert_eq!(Function::serving(&route).binary(), binary, "{method} {path}");
    }
    for function in Function::ALL {
        let binary = function.binary();
        assert!(repo_root().join("functions").join(binary).is_dir(), "{binary}");
    }
}
