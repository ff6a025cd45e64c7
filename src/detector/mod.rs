//! Master detection: master strings -> the current leader's base URL.
//!
//! Fixed masters (`host:port`, `master@host:port`, `http(s)://...`, `file://`) never
//! change leader; `local` starts an in-process cluster owned by the driver; `zk://`
//! masters are followed through ZooKeeper (`zk.rs`, feature `zookeeper`).

use std::time::Duration;

/// A source of the current leading master.
pub trait Detector: Send + Sync {
    /// Blocks until the leader's base URL (e.g. "http://host:port") differs from `known`,
    /// or `timeout` passes; returns the current leader (None = no leader now).
    /// `Err` is unrecoverable (e.g. ZooKeeper authentication failed): the driver calls
    /// error() and aborts.
    fn wait_for_change(
        &self,
        known: Option<&str>,
        timeout: Duration,
    ) -> Result<Option<String>, String>;

    /// True when the leader can never change (the driver then does not watch it).
    fn is_static(&self) -> bool {
        false
    }
}

/// What a master string designates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterSpec {
    /// A fixed master: its base URL ("http://host:port" or "https://host:port/prefix").
    Fixed(String),
    /// `local`: an in-process cluster.
    Local,
    /// A `zk://` URL, as given.
    ZooKeeper(String),
}

/// Parses a master string. `file://` is resolved here (the file is read now).
pub fn parse_master(master: &str) -> Result<MasterSpec, String> {
    parse_master_at_depth(master, 0)
}

fn parse_master_at_depth(master: &str, depth: usize) -> Result<MasterSpec, String> {
    let trimmed = master.trim();
    if trimmed.is_empty() {
        return Err("empty master string".to_string());
    }
    if trimmed == "local" {
        return Ok(MasterSpec::Local);
    }
    if trimmed.starts_with("zk://") {
        if trimmed.len() == "zk://".len() {
            return Err(format!("master '{trimmed}': zk:// without servers"));
        }
        return Ok(MasterSpec::ZooKeeper(trimmed.to_string()));
    }
    if let Some(path) = trimmed.strip_prefix("file://") {
        if depth > 0 {
            return Err(format!(
                "master file content '{trimmed}' is itself a file:// string"
            ));
        }
        if path.is_empty() {
            return Err("master 'file://' without a path".to_string());
        }
        let content =
            read_master_file(path).map_err(|e| format!("cannot read master file '{path}': {e}"))?;
        return parse_master_at_depth(&content, depth + 1)
            .map_err(|e| format!("master file '{path}': {e}"));
    }
    for scheme in ["http://", "https://"] {
        if let Some(rest) = trimmed.strip_prefix(scheme) {
            return parse_http(scheme, rest).map(MasterSpec::Fixed);
        }
    }
    if trimmed.contains("://") {
        return Err(format!(
            "master '{trimmed}': unsupported scheme (expected host:port, master@host:port, \
             http(s)://host:port, zk://, file:// or local)"
        ));
    }
    let authority = trimmed.strip_prefix("master@").unwrap_or(trimmed);
    validate_authority(authority, true)
        .map(|()| format!("http://{authority}"))
        .map(MasterSpec::Fixed)
        .map_err(|e| format!("master '{trimmed}': {e}"))
}

/// Largest master file read: a master string is a line, a zk:// URL at most a few KiB.
pub const MAX_MASTER_FILE_BYTES: u64 = 64 * 1024;

/// Reads a `file://` master file: a small regular file (`small_file::read`) in UTF-8.
fn read_master_file(path: &str) -> Result<String, String> {
    let content = crate::small_file::read(path, MAX_MASTER_FILE_BYTES)?;
    String::from_utf8(content).map_err(|_| "not valid UTF-8".to_string())
}

fn parse_http(scheme: &str, rest: &str) -> Result<String, String> {
    let (authority, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, ""),
    };
    validate_authority(authority, false).map_err(|e| format!("master '{scheme}{rest}': {e}"))?;
    if path.contains(['?', '#']) || path.chars().any(char::is_whitespace) {
        return Err(format!(
            "master '{scheme}{rest}': the path may not hold a query, fragment or spaces"
        ));
    }
    let path = path.trim_end_matches('/');
    Ok(format!("{scheme}{authority}{path}"))
}

/// `host:port`, `[v6]:port`; the port is optional only when `port_required` is false.
fn validate_authority(authority: &str, port_required: bool) -> Result<(), String> {
    if authority.is_empty() {
        return Err("missing host".to_string());
    }
    if authority.contains('@') {
        return Err("user information is not supported in a master URL".to_string());
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let end = v6
            .find(']')
            .ok_or_else(|| "unterminated IPv6 address".to_string())?;
        let after = &v6[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return Err(format!("unexpected '{after}' after the IPv6 address")),
        };
        (&v6[..end], port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("missing host".to_string());
    }
    if host
        .chars()
        .any(|c| c.is_whitespace() || c == '/' || c == ':' && !authority.starts_with('['))
    {
        return Err(format!("invalid host '{host}'"));
    }
    match port {
        Some(port) => match port.parse::<u16>() {
            Ok(p) if p > 0 => Ok(()),
            _ => Err(format!("invalid port '{port}'")),
        },
        None if port_required => Err("expected host:port".to_string()),
        None => Ok(()),
    }
}

/// A master that never changes.
#[derive(Debug, Clone)]
pub struct StaticDetector {
    url: String,
}

impl StaticDetector {
    pub fn new(url: impl Into<String>) -> StaticDetector {
        StaticDetector { url: url.into() }
    }
}

impl Detector for StaticDetector {
    fn wait_for_change(
        &self,
        known: Option<&str>,
        timeout: Duration,
    ) -> Result<Option<String>, String> {
        if known != Some(self.url.as_str()) {
            return Ok(Some(self.url.clone()));
        }
        std::thread::sleep(timeout);
        Ok(Some(self.url.clone()))
    }

    fn is_static(&self) -> bool {
        true
    }
}

/// The detector for a `zk://` URL. Without the `zookeeper` feature there is none.
/// (The ZooKeeper module hooks in here: `zk::ZkDetector`.)
pub fn zookeeper_detector(url: &str) -> Result<std::sync::Arc<dyn Detector>, String> {
    #[cfg(feature = "zookeeper")]
    return zk::ZkDetector::new(url)
        .map(|d| std::sync::Arc::new(d) as std::sync::Arc<dyn Detector>);
    #[cfg(not(feature = "zookeeper"))]
    {
        let _ = url;
        Err("zk:// masters need the zookeeper feature".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(s: &str) -> String {
        match parse_master(s) {
            Ok(MasterSpec::Fixed(url)) => url,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn master_strings() {
        assert_eq!(fixed("127.0.0.1:5050"), "http://127.0.0.1:5050");
        assert_eq!(
            fixed(" master@host.example:5050 "),
            "http://host.example:5050"
        );
        assert_eq!(fixed("http://h:1/"), "http://h:1");
        assert_eq!(fixed("https://h:443/mesos/"), "https://h:443/mesos");
        assert_eq!(fixed("http://h"), "http://h");
        assert_eq!(fixed("[::1]:5050"), "http://[::1]:5050");
        assert_eq!(parse_master("local"), Ok(MasterSpec::Local));
        assert_eq!(
            parse_master("zk://a:2181,b:2181/mesos"),
            Ok(MasterSpec::ZooKeeper("zk://a:2181,b:2181/mesos".into()))
        );
    }

    #[test]
    fn bad_master_strings() {
        for bad in [
            "",
            "   ",
            "host",
            "host:",
            "host:0",
            "host:99999",
            ":5050",
            "master@",
            "ftp://h:1",
            "http://",
            "http://h:x",
            "http://u@h:1",
            "http://h:1/p?q",
            "zk://",
            "file://",
            "file:///nonexistent/mesos-sched-master",
            "a b:5050",
        ] {
            let err = parse_master(bad).expect_err(bad);
            assert!(!err.is_empty());
        }
    }

    #[test]
    fn file_masters() {
        let dir = std::env::temp_dir().join(format!("mesos-sched-detector-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good");
        std::fs::write(&good, "  master@10.0.0.1:5050\n").unwrap();
        assert_eq!(
            fixed(&format!("file://{}", good.display())),
            "http://10.0.0.1:5050"
        );
        let nested = dir.join("nested");
        std::fs::write(&nested, format!("file://{}", good.display())).unwrap();
        assert!(parse_master(&format!("file://{}", nested.display())).is_err());
        let zk = dir.join("zk");
        std::fs::write(&zk, "zk://127.0.0.1:2181/mesos\n").unwrap();
        assert!(matches!(
            parse_master(&format!("file://{}", zk.display())),
            Ok(MasterSpec::ZooKeeper(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn master_files_that_are_not_small_regular_files_fail_at_once() {
        let dir =
            std::env::temp_dir().join(format!("mesos-sched-bad-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A FIFO nobody writes to: opening it for reading would block without O_NONBLOCK.
        let fifo = dir.join("fifo");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let started = std::time::Instant::now();
        let err = parse_master(&format!("file://{}", fifo.display())).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        // Devices: endless (/dev/zero) or empty (/dev/null), neither is a master file.
        for device in ["/dev/zero", "/dev/null"] {
            let err = parse_master(&format!("file://{device}")).unwrap_err();
            assert!(err.contains("not a regular file"), "{device}: {err}");
        }
        // A directory.
        let err = parse_master(&format!("file://{}", dir.display())).unwrap_err();
        assert!(err.contains("cannot read master file"), "{err}");
        // Just over the size limit, even though it starts with a valid master.
        let big = dir.join("big");
        let mut content = b"10.0.0.1:5050\n".to_vec();
        content.resize(MAX_MASTER_FILE_BYTES as usize + 1, b' ');
        std::fs::write(&big, &content).unwrap();
        let err = parse_master(&format!("file://{}", big.display())).unwrap_err();
        assert!(err.contains("larger than"), "{err}");
        // At the limit it is read.
        content.truncate(MAX_MASTER_FILE_BYTES as usize);
        std::fs::write(&big, &content).unwrap();
        assert_eq!(
            fixed(&format!("file://{}", big.display())),
            "http://10.0.0.1:5050"
        );
        // Not UTF-8.
        let binary = dir.join("binary");
        std::fs::write(&binary, [0xff, 0xfe, b':', b'1']).unwrap();
        let err = parse_master(&format!("file://{}", binary.display())).unwrap_err();
        assert!(err.contains("UTF-8"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn static_detector_reports_its_url() {
        let d = StaticDetector::new("http://h:1");
        assert_eq!(
            d.wait_for_change(None, Duration::from_secs(5)),
            Ok(Some("http://h:1".into()))
        );
        let start = std::time::Instant::now();
        assert_eq!(
            d.wait_for_change(Some("http://h:1"), Duration::from_millis(20)),
            Ok(Some("http://h:1".into()))
        );
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert!(d.is_static());
        #[cfg(not(feature = "zookeeper"))]
        assert!(zookeeper_detector("zk://h:1/m").is_err());
        #[cfg(feature = "zookeeper")]
        assert!(zookeeper_detector("zk://h:1/").is_err());
    }
}

#[cfg(feature = "zookeeper")]
pub mod zk;
