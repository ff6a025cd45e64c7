//! HTTP transport of the v1 scheduler API: the SUBSCRIBE stream (its own connection,
//! closable from any thread through `ureq::Agent::shutdown`) and the calls (a separate
//! keep-alive connection). Redirects are followed here, by hand, so that the final
//! endpoint (host, port and path of the leader) is known for the calls.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::Agent;

/// Path of the scheduler endpoint under a master's base URL.
pub const SCHEDULER_PATH: &str = "/api/v1/scheduler";

/// Consecutive redirects accepted before an attempt counts as failed.
pub const MAX_REDIRECTS: usize = 10;

const PROTOBUF: &str = "application/x-protobuf";

/// Largest error body kept for messages.
const MAX_ERROR_BODY: u64 = 64 * 1024;

/// Transport settings (from the driver's options and credential).
#[derive(Clone)]
pub struct TransportConfig {
    /// PEM CA certificates trusted instead of the built-in roots.
    pub ca_certificates: Option<Vec<u8>>,
    /// Verify the master's TLS certificate (default true).
    pub verify: bool,
    /// (principal, secret) for HTTP Basic authentication.
    pub credential: Option<(String, Vec<u8>)>,
    /// Total time of one call (not of the stream).
    pub request_timeout: Duration,
    /// Time to establish a TCP connection.
    pub connect_timeout: Duration,
}

impl std::fmt::Debug for TransportConfig {
    // Hand-written so that the secret can never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportConfig")
            .field(
                "ca_certificates",
                &self.ca_certificates.as_ref().map(Vec::len),
            )
            .field("verify", &self.verify)
            .field(
                "principal",
                &self.credential.as_ref().map(|(principal, _)| principal),
            )
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

/// Parses PEM certificates; an error if there are none.
pub fn parse_ca_certificates(pem: &[u8]) -> Result<Vec<Certificate<'static>>, String> {
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(certificate)) => certificates.push(certificate),
            Ok(_) => {}
            Err(e) => return Err(format!("invalid PEM: {e}")),
        }
    }
    if certificates.is_empty() {
        return Err("no certificate found in the PEM data".to_string());
    }
    Ok(certificates)
}

/// Builds agents and performs requests.
pub struct Transport {
    tls: TlsConfig,
    authorization: Option<String>,
    request_timeout: Duration,
    connect_timeout: Duration,
}

/// Why a SUBSCRIBE attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscribeError {
    /// Retry after a backoff (503, 404, I/O errors, redirect loops...).
    Transient(String),
    /// 401: the master refused the credentials.
    Unauthorized,
    /// 403: not authorized; the body explains.
    Forbidden(String),
}

/// An open subscription: the events arrive through `body`.
pub struct Subscription {
    /// The endpoint that answered 200 (after redirects): calls go there too.
    pub endpoint: String,
    pub stream_id: String,
    pub body: ureq::BodyReader<'static>,
}

/// The answer to a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallResponse {
    pub status: u16,
    pub body: String,
    /// `Location` of a redirect, if any.
    pub location: Option<String>,
}

impl Transport {
    pub fn new(config: &TransportConfig) -> Result<Transport, String> {
        let mut tls = TlsConfig::builder().disable_verification(!config.verify);
        if let Some(pem) = &config.ca_certificates {
            tls = tls.root_certs(RootCerts::Specific(Arc::new(parse_ca_certificates(pem)?)));
        }
        let authorization = config.credential.as_ref().map(|(principal, secret)| {
            let mut plain = principal.as_bytes().to_vec();
            plain.push(b':');
            plain.extend_from_slice(secret);
            format!("Basic {}", base64_encode(&plain))
        });
        Ok(Transport {
            tls: tls.build(),
            authorization,
            request_timeout: config.request_timeout,
            connect_timeout: config.connect_timeout,
        })
    }

    fn agent(&self, total_timeout: Option<Duration>) -> Agent {
        Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .tls_config(self.tls.clone())
            .timeout_connect(Some(self.connect_timeout))
            .timeout_global(total_timeout)
            // Calls may use several connections at once (acknowledgement lanes).
            .max_idle_connections_per_host(80)
            .user_agent(concat!("mesos-sched/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent()
    }

    /// A fresh agent for one subscription (its connection is closed by `shutdown`).
    pub fn stream_agent(&self) -> Agent {
        self.agent(None)
    }

    /// The keep-alive agent for calls.
    pub fn call_agent(&self) -> Agent {
        self.agent(Some(self.request_timeout))
    }

    /// Sends SUBSCRIBE to `endpoint`, following redirects.
    pub fn subscribe(
        &self,
        agent: &Agent,
        endpoint: &str,
        body: &[u8],
    ) -> Result<Subscription, SubscribeError> {
        let mut url = endpoint.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let mut request = agent
                .post(&url)
                .header("Content-Type", PROTOBUF)
                .header("Accept", PROTOBUF);
            if let Some(authorization) = &self.authorization {
                request = request.header("Authorization", authorization);
            }
            // The response head must come within the request timeout; the body is the
            // never-ending stream, watched by the driver's heartbeat watchdog instead.
            let response = request
                .config()
                .timeout_recv_response(Some(self.request_timeout))
                .build()
                .send(body)
                .map_err(|e| SubscribeError::Transient(format!("SUBSCRIBE to {url}: {e}")))?;
            let status = response.status().as_u16();
            match status {
                200 => {
                    let stream_id = header(&response, "Mesos-Stream-Id").ok_or_else(|| {
                        SubscribeError::Transient(format!(
                            "SUBSCRIBE to {url}: 200 without a Mesos-Stream-Id header"
                        ))
                    })?;
                    return Ok(Subscription {
                        endpoint: url,
                        stream_id,
                        body: response.into_body().into_reader(),
                    });
                }
                301 | 302 | 303 | 307 | 308 => {
                    let location = header(&response, "Location").ok_or_else(|| {
                        SubscribeError::Transient(format!(
                            "SUBSCRIBE to {url}: {status} without a Location header"
                        ))
                    })?;
                    url = resolve_location(&url, &location).map_err(|e| {
                        SubscribeError::Transient(format!("SUBSCRIBE to {url}: {e}"))
                    })?;
                }
                401 => return Err(SubscribeError::Unauthorized),
                403 => return Err(SubscribeError::Forbidden(read_error_body(response))),
                _ => {
                    let text = read_error_body(response);
                    return Err(SubscribeError::Transient(format!(
                        "SUBSCRIBE to {url}: {status} {}",
                        text.trim()
                    )));
                }
            }
        }
        Err(SubscribeError::Transient(format!(
            "SUBSCRIBE to {endpoint}: more than {MAX_REDIRECTS} redirects in a row"
        )))
    }

    /// Sends one call (not SUBSCRIBE) with the stream id; returns the master's answer.
    pub fn call(
        &self,
        agent: &Agent,
        endpoint: &str,
        stream_id: &str,
        body: &[u8],
    ) -> Result<CallResponse, String> {
        let mut request = agent
            .post(endpoint)
            .header("Content-Type", PROTOBUF)
            .header("Accept", PROTOBUF)
            .header("Mesos-Stream-Id", stream_id);
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        let response = request.send(body).map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let location = header(&response, "Location");
        let body = if status == 202 {
            // Read the (empty) body so the connection goes back to the pool.
            let mut body = response.into_body();
            let _ = body.with_config().limit(MAX_ERROR_BODY).read_to_vec();
            String::new()
        } else {
            read_error_body(response)
        };
        Ok(CallResponse {
            status,
            body,
            location,
        })
    }
}

fn header(response: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
}

fn read_error_body(response: ureq::http::Response<ureq::Body>) -> String {
    let mut text = String::new();
    let _ = response
        .into_body()
        .into_with_config()
        .limit(MAX_ERROR_BODY)
        .reader()
        .read_to_string(&mut text);
    text
}

/// Resolves a redirect's `Location` against the URL that answered it: absolute URLs,
/// protocol-relative `//host:port/path` (the scheme is kept) and absolute paths.
pub fn resolve_location(current: &str, location: &str) -> Result<String, String> {
    let location = location.trim();
    if location.is_empty() {
        return Err("empty Location header".to_string());
    }
    let (scheme, rest) = current
        .split_once("://")
        .ok_or_else(|| format!("not an absolute URL: {current}"))?;
    let resolved = if location.starts_with("http://") || location.starts_with("https://") {
        location.to_string()
    } else if let Some(authority_and_path) = location.strip_prefix("//") {
        format!("{scheme}://{authority_and_path}")
    } else if location.starts_with('/') {
        let authority = rest.split('/').next().unwrap_or(rest);
        format!("{scheme}://{authority}{location}")
    } else {
        return Err(format!("unsupported Location '{location}'"));
    };
    let (_, after_scheme) = resolved.split_once("://").unwrap_or(("", ""));
    if after_scheme.is_empty() || after_scheme.starts_with('/') {
        return Err(format!("Location '{location}' has no host"));
    }
    // A Location without a path designates the master itself: add the endpoint path.
    if !after_scheme.contains('/') {
        return Ok(format!("{resolved}{SCHEDULER_PATH}"));
    }
    Ok(resolved)
}

/// Standard base64 with padding (for the Basic authorization header).
pub fn base64_encode(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let bytes = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
        assert_eq!(
            base64_encode(b"principal:secret"),
            "cHJpbmNpcGFsOnNlY3JldA=="
        );
    }

    #[test]
    fn locations() {
        let current = "http://127.0.0.1:5050/api/v1/scheduler";
        assert_eq!(
            resolve_location(current, "//127.0.0.1:5060/master/api/v1/scheduler").unwrap(),
            "http://127.0.0.1:5060/master/api/v1/scheduler"
        );
        assert_eq!(
            resolve_location("https://a:1/api/v1/scheduler", "//b:2/x").unwrap(),
            "https://b:2/x"
        );
        assert_eq!(
            resolve_location(current, "/master/api/v1/scheduler").unwrap(),
            "http://127.0.0.1:5050/master/api/v1/scheduler"
        );
        assert_eq!(
            resolve_location(current, "http://other:7").unwrap(),
            "http://other:7/api/v1/scheduler"
        );
        assert!(resolve_location(current, "").is_err());
        assert!(resolve_location(current, "relative/path").is_err());
        assert!(resolve_location(current, "///path").is_err());
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let config = TransportConfig {
            ca_certificates: None,
            verify: true,
            credential: Some(("alice".into(), b"hunter2".to_vec())),
            request_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
        };
        let text = format!("{config:?}");
        assert!(text.contains("alice"));
        assert!(!text.contains("hunter2"));
        assert!(parse_ca_certificates(b"not pem").is_err());
    }
}
