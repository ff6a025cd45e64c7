//! The masters' HTTP side (served by `super::http`, a thread per connection): the
//! scheduler endpoint with upstream's status codes and bodies, /state, /health and the
//! optional admin endpoint.

use super::http::{Request, Response};
use super::master::{CallResult, Cluster};
use super::protojson;
use super::stream::{self, Encoding, StreamHandle, StreamWriter};
use super::util::{self, log_debug, log_info, log_warn};
use crate::proto::scheduler::{call, Call};
use prost::Message;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// A stream whose client reads nothing for this long is dropped.
const STREAM_SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// How often a delayed call checks whether its master stopped.
const DELAY_SLICE: Duration = Duration::from_millis(10);

const APPLICATION_JSON: &str = "application/json";
const APPLICATION_PROTOBUF: &str = "application/x-protobuf";

fn text(status: u16, body: impl Into<String>) -> Response {
    let body: String = body.into();
    let mut response = Response::from_data(body.into_bytes()).with_status_code(status);
    response.add_header("Content-Type", "text/plain; charset=utf-8");
    response
}

fn respond(request: Request, response: Response) {
    if let Err(e) = request.respond(response) {
        log_debug!("could not answer a request: {e}");
    }
}

fn header_value<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.header(name)
}

/// Does the Accept header allow `media` (type/subtype)? Missing header = anything.
fn accepts(accept: Option<&str>, media: &str) -> bool {
    let Some(accept) = accept else { return true };
    let (kind, _) = media.split_once('/').unwrap_or((media, ""));
    accept.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let range = parts.next().unwrap_or("").to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f64>().ok())
            .next()
            .unwrap_or(1.0);
        q > 0.0 && (range == media || range == "*/*" || range == format!("{kind}/*"))
    })
}

fn check_basic_auth(request: &Request, principal: &str, secret: &str) -> bool {
    let Some(value) = header_value(request, "Authorization") else {
        return false;
    };
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return false;
    };
    let Ok(decoded) = protojson::base64_decode(encoded.trim()) else {
        return false;
    };
    let expected = format!("{principal}:{secret}");
    decoded == expected.as_bytes()
}

fn unauthorized(request: Request) {
    let mut response = text(401, "");
    response.add_header("WWW-Authenticate", "Basic realm=\"mesos\"");
    respond(request, response);
}

fn stopping(cluster: &Cluster, index: usize) -> bool {
    cluster.shutting_down.load(Ordering::Relaxed)
        || cluster.masters[index].stopped.load(Ordering::Relaxed)
}

/// Master `index`'s request handler.
pub fn handler(cluster: Arc<Cluster>, index: usize) -> super::http::Handler {
    Arc::new(move |request| {
        if stopping(&cluster, index) {
            // A stopped master is gone: nothing it accepted is answered.
            return;
        }
        handle(&cluster, index, request)
    })
}

fn handle(cluster: &Arc<Cluster>, index: usize, request: Request) {
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    match path {
        "/api/v1/scheduler" | "/master/api/v1/scheduler" => scheduler(cluster, index, request),
        "/state" | "/state.json" | "/master/state" | "/master/state.json" => {
            if let Some((principal, secret)) = &cluster.authenticate {
                if !check_basic_auth(&request, principal, secret) {
                    return unauthorized(request);
                }
            }
            let body = serde_json::to_vec(&cluster.state_json()).unwrap_or_default();
            let mut response = Response::from_data(body);
            response.add_header("Content-Type", APPLICATION_JSON);
            let _ = request.respond(response);
        }
        "/health" | "/master/health" => respond(request, text(200, "OK")),
        p if p.starts_with("/admin/") && cluster.admin => admin(cluster, request, p, query),
        _ => respond(request, text(404, "")),
    }
}

fn scheduler(cluster: &Arc<Cluster>, index: usize, mut request: Request) {
    // Every POST body is recorded (`received_calls`), whatever the answer (bodies
    // beyond `MAX_BODY_BYTES` were answered 413 by the HTTP layer).
    let body = if request.method() == "POST" {
        let body = request.take_body();
        let content_type = header_value(&request, "Content-Type").unwrap_or("");
        cluster.record_call(content_type, &body);
        body
    } else {
        Vec::new()
    };
    if let Some((principal, secret)) = &cluster.authenticate {
        if !check_basic_auth(&request, principal, secret) {
            return unauthorized(request);
        }
    }
    // Leadership: a "no leader" window, then redirects from non-leaders.
    let no_leader = cluster
        .call_faults
        .no_leader_until
        .lock()
        .is_some_and(|until| Instant::now() < until);
    let leader = *cluster.leader.lock();
    if no_leader || leader.is_none() {
        return respond(request, text(503, "No leader elected"));
    }
    let leader = leader.unwrap();
    if leader != index {
        let location = format!(
            "//{}:{}/master/api/v1/scheduler",
            cluster.settings.hostname, cluster.masters[leader].port
        );
        let mut response = text(307, "");
        response.add_header("Location", &location);
        return respond(request, response);
    }
    let fail = *cluster.call_faults.fail.lock();
    if let Some((status, until)) = fail {
        if Instant::now() < until {
            let body = match status {
                503 => "Service Unavailable (injected)",
                _ => "Injected failure",
            };
            return respond(request, text(status, body));
        }
    }
    let delay = *cluster.call_faults.delay.lock();
    if let Some((delay, until)) = delay {
        if Instant::now() < until {
            // In slices: a master stopping meanwhile joins this thread without waiting.
            let end = Instant::now() + delay;
            while !stopping(cluster, index) && Instant::now() < end {
                std::thread::sleep(DELAY_SLICE.min(end - Instant::now()));
            }
            // A master stopped or deposed meanwhile is gone: its connection was closed
            // and the call must not take effect.
            if stopping(cluster, index) || *cluster.leader.lock() != Some(index) {
                return;
            }
        }
    }
    if request.method() != "POST" {
        let mut response = text(
            405,
            format!(
                "Expecting one of {{ 'POST' }}, but received '{}'",
                request.method()
            ),
        );
        response.add_header("Allow", "POST");
        return respond(request, response);
    }
    let content_type = header_value(&request, "Content-Type").map(str::to_string);
    let Some(content_type) = content_type else {
        return respond(request, text(400, "Expecting 'Content-Type' to be present"));
    };
    let encoding = match content_type.as_str() {
        APPLICATION_PROTOBUF => Encoding::Protobuf,
        APPLICATION_JSON => Encoding::Json,
        _ => {
            return respond(
                request,
                text(
                    415,
                    format!(
                        "Expecting 'Content-Type' of {APPLICATION_JSON} or {APPLICATION_PROTOBUF}"
                    ),
                ),
            )
        }
    };
    let call = match parse_call(encoding, &body) {
        Ok(call) => call,
        Err(message) => return respond(request, text(400, message)),
    };
    if let Err(message) = validate_call(&call, cluster.authenticate.as_ref().map(|a| a.0.as_str()))
    {
        return respond(
            request,
            text(
                400,
                format!("Failed to validate scheduler::Call: {message}"),
            ),
        );
    }
    let stream_id = header_value(&request, "Mesos-Stream-Id").map(str::to_string);
    if call.r#type == Some(call::Type::Subscribe as i32) {
        let accept = header_value(&request, "Accept").map(str::to_string);
        let event_encoding = if accepts(accept.as_deref(), APPLICATION_JSON) {
            Encoding::Json
        } else if accepts(accept.as_deref(), APPLICATION_PROTOBUF) {
            Encoding::Protobuf
        } else {
            return respond(
                request,
                text(
                    406,
                    format!("Expecting 'Accept' to allow '{APPLICATION_PROTOBUF}' or '{APPLICATION_JSON}'"),
                ),
            );
        };
        if stream_id.is_some() {
            return respond(
                request,
                text(
                    400,
                    "Subscribe calls should not include the 'Mesos-Stream-Id' header",
                ),
            );
        }
        let mut subscribe = call.subscribe.unwrap_or_default();
        if let Some((principal, _)) = &cluster.authenticate {
            if subscribe.framework_info.principal.is_none() {
                subscribe.framework_info.principal = Some(principal.clone());
            }
        }
        return start_stream(cluster, index, request, subscribe, event_encoding);
    }
    let result: CallResult = cluster.handle_call(call, stream_id.as_deref());
    if result.status == 501 {
        return respond(request, text(501, ""));
    }
    let response = if result.body.is_empty() {
        Response::from_data(Vec::new()).with_status_code(result.status)
    } else {
        text(result.status, result.body)
    };
    respond(request, response);
}

fn parse_call(encoding: Encoding, body: &[u8]) -> Result<Call, String> {
    match encoding {
        Encoding::Protobuf => {
            let call = Call::decode(body)
                .map_err(|_| "Failed to parse body into Call protobuf".to_string())?;
            let missing = protojson::missing_required(protojson::CALL, body);
            if !missing.is_empty() {
                return Err(format!(
                    "Failed to validate scheduler::Call: Not initialized: {}",
                    missing.join(", ")
                ));
            }
            Ok(call)
        }
        Encoding::Json => {
            let value: serde_json::Value = serde_json::from_slice(body)
                .map_err(|e| format!("Failed to parse body into JSON: {e}"))?;
            let bytes = protojson::json_to_protobuf(protojson::CALL, &value)
                .map_err(|e| format!("Failed to convert JSON into Call protobuf: {e}"))?;
            Call::decode(bytes.as_slice())
                .map_err(|e| format!("Failed to convert JSON into Call protobuf: {e}"))
        }
    }
}

/// validation::scheduler::call::validate.
fn validate_call(call: &Call, principal: Option<&str>) -> Result<(), String> {
    let Some(kind) = call.r#type.and_then(|t| call::Type::try_from(t).ok()) else {
        return Err("Expecting 'type' to be present".into());
    };
    if kind == call::Type::Subscribe {
        let Some(subscribe) = &call.subscribe else {
            return Err("Expecting 'subscribe' to be present".into());
        };
        let info = &subscribe.framework_info;
        let info_id = info.id.as_ref().map(|i| i.value.as_str());
        let call_id = call.framework_id.as_ref().map(|i| i.value.as_str());
        // As upstream: an absent id equals an empty one.
        if info_id.unwrap_or("") != call_id.unwrap_or("") {
            return Err("'framework_id' differs from 'subscribe.framework_info.id'".into());
        }
        if let (Some(principal), Some(info_principal)) = (principal, &info.principal) {
            if principal != info_principal {
                return Err(format!(
                    "Authenticated principal '{principal}' does not match principal '{info_principal}' set in `FrameworkInfo`"
                ));
            }
        }
        return Ok(());
    }
    if call.framework_id.is_none() {
        return Err("Expecting 'framework_id' to be present".into());
    }
    let present = |ok: bool, name: &str| -> Result<(), String> {
        if ok {
            Ok(())
        } else {
            Err(format!("Expecting '{name}' to be present"))
        }
    };
    match kind {
        call::Type::Accept => present(call.accept.is_some(), "accept"),
        call::Type::Decline => present(call.decline.is_some(), "decline"),
        call::Type::AcceptInverseOffers => present(
            call.accept_inverse_offers.is_some(),
            "accept_inverse_offers",
        ),
        call::Type::DeclineInverseOffers => present(
            call.decline_inverse_offers.is_some(),
            "decline_inverse_offers",
        ),
        call::Type::Kill => present(call.kill.is_some(), "kill"),
        call::Type::Shutdown => present(call.shutdown.is_some(), "shutdown"),
        call::Type::Acknowledge => {
            present(call.acknowledge.is_some(), "acknowledge")?;
            if call.acknowledge.as_ref().unwrap().uuid.len() != 16 {
                return Err("Not a valid UUID".into());
            }
            Ok(())
        }
        call::Type::AcknowledgeOperationStatus => {
            present(
                call.acknowledge_operation_status.is_some(),
                "acknowledge_operation_status",
            )?;
            let ack = call.acknowledge_operation_status.as_ref().unwrap();
            if ack.uuid.len() != 16 {
                return Err("Not a valid UUID".into());
            }
            present(ack.agent_id.is_some(), "agent_id")
        }
        call::Type::Reconcile => present(call.reconcile.is_some(), "reconcile"),
        call::Type::ReconcileOperations => {
            present(call.reconcile_operations.is_some(), "reconcile_operations")
        }
        call::Type::Message => present(call.message.is_some(), "message"),
        call::Type::Request => present(call.request.is_some(), "request"),
        call::Type::UpdateFramework => {
            present(call.update_framework.is_some(), "update_framework")?;
            let info_id = call
                .update_framework
                .as_ref()
                .and_then(|u| u.framework_info.id.as_ref())
                .map(|i| i.value.as_str());
            if info_id != call.framework_id.as_ref().map(|i| i.value.as_str()) {
                return Err(
                    "'framework_id' differs from 'update_framework.framework_info.id'".into(),
                );
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn start_stream(
    cluster: &Arc<Cluster>,
    index: usize,
    request: Request,
    subscribe: call::Subscribe,
    encoding: Encoding,
) {
    let socket = stream::find_socket(request.remote_addr(), cluster.masters[index].port);
    if let Some(socket) = &socket {
        stream::set_send_timeout(socket, STREAM_SEND_TIMEOUT);
    }
    // Buffered: a stream writes a record in pieces, then flushes once.
    let socket_writer = stream::CountingWriter {
        inner: request.into_writer(),
        writes: cluster.stream_writes.clone(),
    };
    let writer: Box<dyn std::io::Write + Send> =
        Box::new(std::io::BufWriter::with_capacity(8192, socket_writer));
    let stream_id = util::new_uuid();
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = StreamHandle::new(stream_id.clone(), encoding, index, tx);
    let framework = cluster.subscribe(subscribe, handle);
    let stream_writer = StreamWriter {
        writer,
        socket,
        encoding,
        stream_id: stream_id.clone(),
        heartbeat: cluster.settings.heartbeat,
        faults: cluster.stream_faults.clone(),
        framing: cluster.framing,
    };
    // This worker becomes the stream's writer for the stream's lifetime.
    let end = stream_writer.run(rx);
    log_debug!("stream {stream_id} ended: {end:?}");
    if let Some(framework) = framework {
        cluster.stream_closed(&framework, &stream_id);
    }
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&text[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// POST /admin/faults/<name>?params: the fault injection API of the binary.
fn admin(cluster: &Arc<Cluster>, request: Request, path: &str, query: &str) {
    if request.method() != "POST" {
        let mut response = text(405, "Use POST");
        response.add_header("Allow", "POST");
        return respond(request, response);
    }
    let on = || query_param(query, "on").is_none_or(|v| v != "0" && v != "false");
    let ms = |name: &str, default: u64| {
        query_param(query, name)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(default)
    };
    let Some(name) = path.strip_prefix("/admin/faults/") else {
        return respond(request, text(404, "Unknown admin endpoint"));
    };
    let local = super::Faults { cluster };
    let result: Result<String, String> = match name {
        "close_streams" => {
            local.close_streams();
            Ok("closed".into())
        }
        "reset_streams" => {
            local.reset_streams();
            Ok("reset".into())
        }
        "cut_streams" => {
            local.cut_streams_mid_record();
            Ok("cut".into())
        }
        "stall" => {
            local.stall_streams(on());
            Ok(format!("stalled={}", on()))
        }
        "split" => {
            local.split_chunks(on());
            Ok(format!("split={}", on()))
        }
        "fail_calls" => {
            let status = query_param(query, "status")
                .and_then(|s| s.parse::<u16>().ok())
                .unwrap_or(503);
            if !(100..=599).contains(&status) {
                Err("status must be an HTTP status code".into())
            } else {
                local.fail_calls(status, Duration::from_millis(ms("ms", 5000)));
                Ok(format!("failing calls with {status}"))
            }
        }
        "delay_calls" => {
            local.delay_calls(
                Duration::from_millis(ms("delay_ms", 1000)),
                Duration::from_millis(ms("ms", 5000)),
            );
            Ok("delaying calls".into())
        }
        "error" => {
            let message = percent_decode(query_param(query, "message").unwrap_or("Injected error"));
            local.inject_error(&message);
            Ok("error injected".into())
        }
        "lose_agent" => match query_param(query, "id") {
            Some(id) => {
                let id = percent_decode(id);
                if cluster.lose_agent(&id) {
                    Ok(format!("agent {id} lost"))
                } else {
                    Err(format!("unknown agent {id}"))
                }
            }
            None => Err("missing id".into()),
        },
        "change_leader" => match query_param(query, "to").and_then(|v| v.parse::<usize>().ok()) {
            Some(to) if to < cluster.masters.len() => {
                // The old leader's connections (maybe this one) close after the answer.
                let deposed = local.switch_leader(to);
                log_info!("admin: leader is master {to}");
                respond(request, text(200, format!("leader is master {to}")));
                if let Some(deposed) = deposed {
                    deposed.close();
                }
                return;
            }
            _ => Err("missing or invalid 'to'".into()),
        },
        "stop_master" => {
            let index = query_param(query, "index").and_then(|v| v.parse::<usize>().ok());
            let hook = cluster.stop_master_hook.lock().clone();
            match (index, hook) {
                (Some(index), Some(hook)) if index < cluster.masters.len() => {
                    // Answer first: stopping master `index` may close this connection.
                    log_info!("admin: stopping master {index}");
                    respond(request, text(200, format!("stopping master {index}")));
                    hook(index);
                    return;
                }
                (_, None) => Err("stop_master needs --zk".into()),
                _ => Err("missing or invalid 'index'".into()),
            }
        }
        "no_leader" => {
            local.no_leader_for(Duration::from_millis(ms("ms", 5000)));
            Ok("no leader".into())
        }
        _ => {
            return respond(request, text(404, format!("Unknown fault '{name}'")));
        }
    };
    match result {
        Ok(message) => {
            log_info!("admin: {message}");
            respond(request, text(200, message))
        }
        Err(message) => {
            log_warn!("admin: {message}");
            respond(request, text(400, message))
        }
    }
}
