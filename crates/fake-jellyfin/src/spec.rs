//! Checks requests (and the fake's own answers) against Jellyfin's OpenAPI
//! 10.11.11 document: path, method, path and query parameters, the
//! Authorization header, and JSON bodies by schema.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Map, Value};

/// Included from this file's place, so other crates' tests can use the fake.
const SPEC_JSON: &str = include_str!("../spec/openapi-10.11.11.json");

pub struct Spec {
    doc: Value,
    /// Schemas with OpenAPI's `nullable` turned into JSON Schema.
    components: Value,
    templates: Vec<(String, Vec<String>)>,
    validators: Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

/// The operation a request matched.
pub struct Matched {
    pub template: String,
    pub path_params: HashMap<String, String>,
    pub secured: bool,
}

pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let doc: Value = serde_json::from_str(SPEC_JSON).expect("valid JSON");
        let mut components = doc["components"].clone();
        denull(&mut components);
        let templates = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(|t| (t.clone(), t.split('/').map(String::from).collect()))
            .collect();
        Spec {
            doc,
            components,
            templates,
            validators: Mutex::new(HashMap::new()),
        }
    })
}

/// OpenAPI 3.0 `nullable: true` → JSON Schema that accepts null.
fn denull(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for child in map.values_mut() {
                denull(child);
            }
            if map.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::String(t)) = map.get("type").cloned() {
                    map.insert("type".into(), Value::Array(vec![t.into(), "null".into()]));
                    if let Some(Value::Array(e)) = map.get_mut("enum") {
                        e.push(Value::Null);
                    }
                } else {
                    let inner = Value::Object(std::mem::take(map));
                    map.insert(
                        "anyOf".into(),
                        Value::Array(vec![inner, serde_json::json!({ "type": "null" })]),
                    );
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(denull),
        _ => {}
    }
}

fn is_uuid(s: &str) -> bool {
    let hex = |t: &str| t.chars().all(|c| c.is_ascii_hexdigit());
    (s.len() == 32 && hex(s))
        || (s.len() == 36
            && s.split('-').map(str::len).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
            && hex(&s.replace('-', "")))
}

impl Spec {
    fn validator(&self, schema: &Value) -> std::sync::Arc<jsonschema::Validator> {
        let key = schema.to_string();
        let mut cache = self.validators.lock().unwrap();
        cache
            .entry(key)
            .or_insert_with(|| {
                let mut s = schema.clone();
                denull(&mut s);
                let mut root = Map::new();
                root.insert("allOf".into(), Value::Array(vec![s]));
                root.insert("components".into(), self.components.clone());
                let v = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft4)
                    .should_validate_formats(true)
                    .with_format("uuid", is_uuid)
                    .build(&Value::Object(root))
                    .expect("schema compiles");
                std::sync::Arc::new(v)
            })
            .clone()
    }

    fn check(&self, schema: &Value, value: &Value, what: &str) -> Result<(), String> {
        let v = self.validator(schema);
        let errors: Vec<String> = v
            .iter_errors(value)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("{what}: {}", errors.join("; ")))
        }
    }

    fn find(&self, path: &str) -> Option<(String, HashMap<String, String>)> {
        let segs: Vec<&str> = path.split('/').collect();
        let mut best: Option<(usize, String, HashMap<String, String>)> = None;
        for (template, tsegs) in &self.templates {
            if tsegs.len() != segs.len() {
                continue;
            }
            let mut params = HashMap::new();
            let mut literal = 0;
            let ok = tsegs.iter().zip(&segs).all(|(t, s)| {
                if let Some(name) = t.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                    params.insert(name.to_string(), s.to_string());
                    !s.is_empty()
                } else {
                    literal += 1;
                    t == s
                }
            });
            if ok && best.as_ref().is_none_or(|b| literal > b.0) {
                best = Some((literal, template.clone(), params));
            }
        }
        best.map(|(_, t, p)| (t, p))
    }

    /// Checks one parameter value (path or query) against its schema.
    fn check_param(&self, name: &str, schema: &Value, raw: &str) -> Result<(), String> {
        let schema = self.resolve(schema);
        let ty = schema["type"].as_str().unwrap_or("");
        if ty == "array" {
            for item in raw.split(',') {
                self.check_param(name, &schema["items"], item)?;
            }
            return Ok(());
        }
        let value = match ty {
            "integer" => raw
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("{name}={raw} is not an integer"))?,
            "number" => raw
                .parse::<f64>()
                .map(Value::from)
                .map_err(|_| format!("{name}={raw} is not a number"))?,
            "boolean" => match raw {
                "true" | "True" => Value::Bool(true),
                "false" | "False" => Value::Bool(false),
                _ => return Err(format!("{name}={raw} is not a boolean")),
            },
            _ => Value::String(raw.to_string()),
        };
        self.check(&schema, &value, &format!("parameter {name}"))
    }

    /// A `$ref` or `allOf: [$ref]` wrapper, followed to its schema (merged
    /// with the wrapper's own keywords such as `enum`).
    fn resolve(&self, schema: &Value) -> Value {
        let mut s = schema.clone();
        loop {
            let target = s["$ref"].as_str().map(String::from).or_else(|| {
                s["allOf"]
                    .as_array()
                    .filter(|a| a.len() == 1)
                    .and_then(|a| a[0]["$ref"].as_str().map(String::from))
            });
            let Some(target) = target else { return s };
            let name = target.rsplit('/').next().unwrap();
            let mut inner = self.doc["components"]["schemas"][name].clone();
            if let (Value::Object(outer), Value::Object(inner_map)) = (&s, &mut inner) {
                for (k, v) in outer {
                    if k != "$ref" && k != "allOf" && k != "description" {
                        inner_map.insert(k.clone(), v.clone());
                    }
                }
            }
            s = inner;
        }
    }

    /// Checks a request. `tokens` says which tokens are valid now.
    pub fn check_request(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        authorization: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Matched, String> {
        let (template, path_params) = self
            .find(path)
            .ok_or_else(|| format!("no path in the spec matches {path}"))?;
        let op = &self.doc["paths"][&template][method.to_ascii_lowercase()];
        if op.is_null() {
            return Err(format!("{method} is not allowed on {template}"));
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for p in &params {
            let name = p["name"].as_str().unwrap();
            match p["in"].as_str() {
                Some("path") => {
                    let raw = path_params
                        .get(name)
                        .ok_or_else(|| format!("path parameter {name} missing"))?;
                    self.check_param(name, &p["schema"], raw)?;
                }
                Some("query") => {
                    let given: Vec<&String> = query
                        .iter()
                        .filter(|(k, _)| k == name)
                        .map(|(_, v)| v)
                        .collect();
                    if given.is_empty() && p["required"] == Value::Bool(true) {
                        return Err(format!("required query parameter {name} missing"));
                    }
                    for raw in given {
                        self.check_param(name, &p["schema"], raw)?;
                    }
                }
                _ => {}
            }
        }
        for (k, _) in query {
            let declared = params
                .iter()
                .any(|p| p["in"] == "query" && p["name"].as_str() == Some(k.as_str()));
            if !declared {
                return Err(format!(
                    "query parameter {k} is not in the spec for {method} {template}"
                ));
            }
        }
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        check_authorization(authorization, secured)?;
        match op.get("requestBody") {
            Some(rb) if !body.is_empty() || rb["required"] == Value::Bool(true) => {
                let ct = content_type.unwrap_or("");
                let media = ct.split(';').next().unwrap_or("").trim();
                let schema = &rb["content"][media]["schema"];
                if schema.is_null() {
                    return Err(format!(
                        "content type {ct:?} not accepted by {method} {template}"
                    ));
                }
                let value: Value =
                    serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))?;
                self.check(schema, &value, "request body")?;
            }
            Some(_) => {}
            None if !body.is_empty() => {
                return Err(format!("{method} {template} takes no body"));
            }
            None => {}
        }
        Ok(Matched {
            template,
            path_params,
            secured,
        })
    }

    /// Checks one of the fake's own JSON answers against the spec.
    pub fn check_response(
        &self,
        method: &str,
        template: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), String> {
        let op = &self.doc["paths"][template][method.to_ascii_lowercase()];
        let schema = &op["responses"][status.to_string()]["content"]["application/json"]["schema"];
        if schema.is_null() {
            return Err(format!(
                "the spec has no JSON {status} answer for {method} {template}"
            ));
        }
        self.check(schema, body, "response")
    }
}

/// `MediaBrowser Client="…", Device="…", DeviceId="…", Version="…"[, Token="…"]`
/// with URI-encoded values.
fn check_authorization(header: Option<&str>, needs_token: bool) -> Result<Option<String>, String> {
    let Some(h) = header else {
        return if needs_token {
            Err("Authorization header missing".into())
        } else {
            Ok(None)
        };
    };
    let rest = h
        .strip_prefix("MediaBrowser ")
        .ok_or("Authorization must start with MediaBrowser")?;
    let mut fields = HashMap::new();
    for part in rest.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| format!("bad Authorization part {part:?}"))?;
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(|| format!("Authorization value for {k} must be quoted"))?;
        if v.contains(['"', ' ', ',']) {
            return Err(format!("Authorization value for {k} must be URI-encoded"));
        }
        fields.insert(k.to_string(), v.to_string());
    }
    for k in ["Client", "Device", "DeviceId", "Version"] {
        if fields.get(k).is_none_or(|v| v.is_empty()) {
            return Err(format!("Authorization lacks {k}"));
        }
    }
    Ok(fields.remove("Token"))
}

/// The token in an Authorization header, if any.
pub fn token_of(header: Option<&str>) -> Option<String> {
    check_authorization(header, false).ok().flatten()
}
