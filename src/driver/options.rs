//! Driver options (`set_option`, before start) and their environment defaults.

use std::time::Duration;

use super::Error;
use crate::log::Level;

/// Settings that shape the driver's connection behaviour.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub suppressed_roles: Vec<String>,
    pub tls_ca_file: Option<String>,
    /// The PEM content of `tls_ca_file`, read and checked when the option is set.
    pub tls_ca_pem: Option<Vec<u8>>,
    pub tls_verify: bool,
    pub heartbeat_timeout_factor: f64,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    pub max_record_bytes: u64,
    pub log_level: Level,
    /// Connections on which acknowledgements of different tasks may overlap (default 4);
    /// those of one task always share a connection and leave in order. Every other call
    /// still waits for the acknowledgements made before it. 1 = every call on one
    /// connection, one at a time.
    pub ack_lanes: usize,
    /// `dispatch=poll`: callbacks run on the threads that call `poll` (and join/run),
    /// never on a library thread.
    pub poll_mode: bool,
}

/// Default of `ack.connections`: one round trip at a time caps acknowledgements at one
/// per round trip (about 10k/s on loopback, 2k/s at 0.5 ms RTT); four overlap enough to
/// pass 20k/s against mesos-local (benches/throughput.rs).
pub const DEFAULT_ACK_CONNECTIONS: usize = 4;

/// Largest `tls.ca_file` read: Debian's whole CA bundle is about 220 KB.
const MAX_CA_FILE_BYTES: u64 = 4 * 1024 * 1024;

impl Default for Options {
    fn default() -> Options {
        Options {
            suppressed_roles: Vec::new(),
            tls_ca_file: None,
            tls_ca_pem: None,
            tls_verify: true,
            heartbeat_timeout_factor: 5.0,
            backoff_initial: Duration::from_secs(2),
            backoff_max: Duration::from_secs(60),
            request_timeout: Duration::from_secs(75),
            connect_timeout: Duration::from_secs(10),
            max_record_bytes: crate::recordio::DEFAULT_MAX_RECORD_BYTES,
            log_level: Level::Off,
            ack_lanes: DEFAULT_ACK_CONNECTIONS,
            poll_mode: false,
        }
    }
}

impl Options {
    /// Defaults plus the environment (`MESOS_SCHED_LOG`, `MESOS_REGISTRATION_BACKOFF_FACTOR`).
    pub fn from_env() -> Options {
        let mut options = Options {
            log_level: Level::from_env(),
            ..Options::default()
        };
        if let Ok(value) = std::env::var("MESOS_REGISTRATION_BACKOFF_FACTOR") {
            if let Ok(duration) = parse_duration(&value) {
                options.backoff_initial = duration;
            }
        }
        options
    }

    pub fn set(&mut self, key: &str, value: &str) -> Result<(), Error> {
        let bad = |why: String| Error::InvalidArgument(format!("option {key}={value:?}: {why}"));
        match key {
            "suppressed_roles" => {
                self.suppressed_roles = value
                    .split(',')
                    .map(str::trim)
                    .filter(|role| !role.is_empty())
                    .map(str::to_string)
                    .collect();
            }
            "tls.ca_file" => {
                let pem = crate::small_file::read(value, MAX_CA_FILE_BYTES)
                    .map_err(|e| bad(format!("cannot read: {e}")))?;
                crate::http::parse_ca_certificates(&pem).map_err(bad)?;
                self.tls_ca_file = Some(value.to_string());
                self.tls_ca_pem = Some(pem);
            }
            "tls.verify" => self.tls_verify = parse_bool(value).map_err(bad)?,
            "heartbeat.timeout_factor" => {
                let factor: f64 = value
                    .trim()
                    .parse()
                    .map_err(|_| bad("not a number".into()))?;
                if !(factor.is_finite() && factor > 0.0) {
                    return Err(bad("must be a positive number".into()));
                }
                self.heartbeat_timeout_factor = factor;
            }
            "backoff.initial_ms" => self.backoff_initial = parse_millis(value).map_err(bad)?,
            "backoff.max_ms" => self.backoff_max = parse_millis(value).map_err(bad)?,
            "request.timeout_ms" => {
                let timeout = parse_millis(value).map_err(bad)?;
                if timeout.is_zero() {
                    return Err(bad("must be positive".into()));
                }
                self.request_timeout = timeout;
            }
            "connect.timeout_ms" => {
                let timeout = parse_millis(value).map_err(bad)?;
                if timeout.is_zero() {
                    return Err(bad("must be positive".into()));
                }
                self.connect_timeout = timeout;
            }
            "recordio.max_record_bytes" => {
                let max: u64 = value
                    .trim()
                    .parse()
                    .map_err(|_| bad("not a non-negative integer".into()))?;
                if max == 0 {
                    return Err(bad("must be positive".into()));
                }
                self.max_record_bytes = max;
            }
            "log.level" => self.log_level = value.parse().map_err(bad)?,
            "dispatch" => {
                self.poll_mode = match value.trim() {
                    "thread" => false,
                    "poll" => true,
                    _ => return Err(bad("expected thread or poll".into())),
                }
            }
            "ack.connections" => {
                let lanes: usize = value
                    .trim()
                    .parse()
                    .map_err(|_| bad("not a positive integer".into()))?;
                if !(1..=64).contains(&lanes) {
                    return Err(bad("must be between 1 and 64".into()));
                }
                self.ack_lanes = lanes;
            }
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "unknown option '{key}' (known: suppressed_roles, tls.ca_file, tls.verify, \
                     heartbeat.timeout_factor, backoff.initial_ms, backoff.max_ms, \
                     request.timeout_ms, connect.timeout_ms, recordio.max_record_bytes, log.level, \
                     ack.connections)"
                )))
            }
        }
        Ok(())
    }
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".to_string()),
    }
}

fn parse_millis(value: &str) -> Result<Duration, String> {
    value
        .trim()
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| "expected a whole number of milliseconds".to_string())
}

/// Parses a Mesos-style duration: "2", "2secs", "500ms", "1.5s", "1mins"...
/// A bare number means seconds.
pub(crate) fn parse_duration(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("invalid duration '{value}'"))?;
    let seconds_per_unit = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1.0,
        "ns" | "nsecs" => 1e-9,
        "us" | "usecs" => 1e-6,
        "ms" | "msecs" => 1e-3,
        "m" | "min" | "mins" => 60.0,
        "h" | "hr" | "hrs" => 3600.0,
        "d" | "days" => 86400.0,
        other => return Err(format!("invalid duration unit '{other}'")),
    };
    Duration::try_from_secs_f64(number * seconds_per_unit)
        .map_err(|_| format!("invalid duration '{value}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_reject() {
        let mut o = Options::default();
        o.set("suppressed_roles", "a, b,,c").unwrap();
        assert_eq!(o.suppressed_roles, ["a", "b", "c"]);
        o.set("tls.verify", "false").unwrap();
        assert!(!o.tls_verify);
        o.set("heartbeat.timeout_factor", "2.5").unwrap();
        assert_eq!(o.heartbeat_timeout_factor, 2.5);
        o.set("backoff.initial_ms", "10").unwrap();
        assert_eq!(o.backoff_initial, Duration::from_millis(10));
        o.set("log.level", "debug").unwrap();
        assert_eq!(o.log_level, Level::Debug);
        o.set("dispatch", "poll").unwrap();
        assert!(o.poll_mode);
        o.set("dispatch", "thread").unwrap();
        assert!(!o.poll_mode);
        for (key, value) in [
            ("nope", "1"),
            ("tls.verify", "maybe"),
            ("heartbeat.timeout_factor", "-1"),
            ("heartbeat.timeout_factor", "NaN"),
            ("backoff.max_ms", "x"),
            ("request.timeout_ms", "0"),
            ("recordio.max_record_bytes", "0"),
            ("log.level", "shout"),
            ("dispatch", "callbacks"),
            ("tls.ca_file", "/nonexistent/ca.pem"),
            // Not small regular files: fail at once, neither block nor fill memory.
            ("tls.ca_file", "/dev/zero"),
            ("tls.ca_file", "/dev/null"),
            ("tls.ca_file", "/"),
        ] {
            let err = o.set(key, value).unwrap_err();
            assert_eq!(err.code(), -2, "{key}={value}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("2secs").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("1mins").unwrap(), Duration::from_secs(60));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("1parsec").is_err());
    }
}
