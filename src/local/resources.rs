//! Agent resources: upstream's text syntax ("cpus:4;mem:8192;ports:[31000-32000]"),
//! arithmetic (scalars, ranges, sets) and conversion to and from `mesos.v1.Resource`.

use crate::proto::v1::{self, value};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq)]
pub enum Quantity {
    Scalar(f64),
    /// Sorted, non-overlapping inclusive ranges.
    Ranges(Vec<(u64, u64)>),
    Set(BTreeSet<String>),
}

/// A bag of unreserved resources by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources(pub BTreeMap<String, Quantity>);

const EPSILON: f64 = 1e-9;

fn normalize(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (b, e) in ranges {
        if let Some(last) = out.last_mut() {
            if b <= last.1.saturating_add(1) {
                last.1 = last.1.max(e);
                continue;
            }
        }
        out.push((b, e));
    }
    out
}

fn ranges_contain(outer: &[(u64, u64)], inner: &[(u64, u64)]) -> bool {
    inner
        .iter()
        .all(|&(b, e)| outer.iter().any(|&(ob, oe)| ob <= b && e <= oe))
}

fn ranges_subtract(from: &[(u64, u64)], remove: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for &(b, e) in from {
        let mut pieces = vec![(b, e)];
        for &(rb, re) in remove {
            let mut next = Vec::new();
            for (pb, pe) in pieces {
                if re < pb || rb > pe {
                    next.push((pb, pe));
                    continue;
                }
                if rb > pb {
                    next.push((pb, rb - 1));
                }
                if re < pe {
                    next.push((re + 1, pe));
                }
            }
            pieces = next;
        }
        out.extend(pieces);
    }
    normalize(out)
}

impl Resources {
    /// Parses "name:value;name:[a-b,c-d];name:{x,y}" (upstream's --resources syntax).
    pub fn parse(text: &str) -> Result<Resources, String> {
        let mut resources = Resources::default();
        for item in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, value) = item
                .split_once(':')
                .ok_or_else(|| format!("Invalid resource '{item}': expecting name:value"))?;
            let name = name.trim();
            // A role suffix "cpus(*)" is accepted; only unreserved resources exist here.
            let name = name.strip_suffix("(*)").unwrap_or(name).to_string();
            let value = value.trim();
            let quantity = if let Some(inner) =
                value.strip_prefix('[').and_then(|v| v.strip_suffix(']'))
            {
                let mut ranges = Vec::new();
                for r in inner.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let (b, e) = r.split_once('-').unwrap_or((r, r));
                    let b: u64 = b
                        .trim()
                        .parse()
                        .map_err(|_| format!("Invalid range '{r}' in '{item}'"))?;
                    let e: u64 = e
                        .trim()
                        .parse()
                        .map_err(|_| format!("Invalid range '{r}' in '{item}'"))?;
                    if b > e {
                        return Err(format!("Invalid range '{r}' in '{item}'"));
                    }
                    ranges.push((b, e));
                }
                Quantity::Ranges(normalize(ranges))
            } else if let Some(inner) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                Quantity::Set(
                    inner
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect(),
                )
            } else {
                let v: f64 = value
                    .parse()
                    .map_err(|_| format!("Invalid scalar value '{value}' in '{item}'"))?;
                if !v.is_finite() || v < 0.0 {
                    return Err(format!("Invalid scalar value '{value}' in '{item}'"));
                }
                Quantity::Scalar(v)
            };
            resources.add_one(&name, &quantity);
        }
        Ok(resources)
    }

    /// From protobuf resources (roles and reservations are ignored: everything is "*").
    pub fn from_proto(list: &[v1::Resource]) -> Result<Resources, String> {
        let mut resources = Resources::default();
        for r in list {
            let quantity = match value::Type::try_from(r.r#type) {
                Ok(value::Type::Scalar) => {
                    let v = r
                        .scalar
                        .as_ref()
                        .map(|s| s.value)
                        .ok_or_else(|| format!("Resource '{}' has no scalar value", r.name))?;
                    if !v.is_finite() || v < 0.0 {
                        return Err(format!("Resource '{}' has an invalid scalar value", r.name));
                    }
                    Quantity::Scalar(v)
                }
                Ok(value::Type::Ranges) => Quantity::Ranges(normalize(
                    r.ranges
                        .as_ref()
                        .map(|rs| rs.range.iter().map(|x| (x.begin, x.end)).collect())
                        .unwrap_or_default(),
                )),
                Ok(value::Type::Set) => Quantity::Set(
                    r.set
                        .as_ref()
                        .map(|s| s.item.iter().cloned().collect())
                        .unwrap_or_default(),
                ),
                _ => return Err(format!("Resource '{}' has an unsupported type", r.name)),
            };
            if r.name.is_empty() {
                return Err("Resource has an empty name".into());
            }
            resources.add_one(&r.name, &quantity);
        }
        Ok(resources)
    }

    /// Protobuf resources, allocated to `role` when given.
    // Unreserved resources still carry the deprecated `role = "*"`, as upstream's master.
    #[allow(deprecated)]
    pub fn to_proto(&self, role: Option<&str>) -> Vec<v1::Resource> {
        self.0
            .iter()
            .filter(|(_, q)| !is_empty(q))
            .map(|(name, q)| {
                let mut r = v1::Resource {
                    name: name.clone(),
                    role: Some("*".into()),
                    allocation_info: role.map(|role| v1::resource::AllocationInfo {
                        role: Some(role.to_string()),
                    }),
                    ..Default::default()
                };
                match q {
                    Quantity::Scalar(v) => {
                        r.r#type = value::Type::Scalar as i32;
                        r.scalar = Some(value::Scalar { value: *v });
                    }
                    Quantity::Ranges(ranges) => {
                        r.r#type = value::Type::Ranges as i32;
                        r.ranges = Some(value::Ranges {
                            range: ranges
                                .iter()
                                .map(|&(begin, end)| value::Range { begin, end })
                                .collect(),
                        });
                    }
                    Quantity::Set(items) => {
                        r.r#type = value::Type::Set as i32;
                        r.set = Some(value::Set {
                            item: items.iter().cloned().collect(),
                        });
                    }
                }
                r
            })
            .collect()
    }

    fn add_one(&mut self, name: &str, q: &Quantity) {
        match (self.0.get_mut(name), q) {
            (None, q) => {
                self.0.insert(name.to_string(), q.clone());
            }
            (Some(Quantity::Scalar(a)), Quantity::Scalar(b)) => *a += b,
            (Some(Quantity::Ranges(a)), Quantity::Ranges(b)) => {
                let mut all = a.clone();
                all.extend_from_slice(b);
                *a = normalize(all);
            }
            (Some(Quantity::Set(a)), Quantity::Set(b)) => a.extend(b.iter().cloned()),
            // Mismatched types under one name: keep the first.
            _ => {}
        }
    }

    pub fn add(&mut self, other: &Resources) {
        for (name, q) in &other.0 {
            self.add_one(name, q);
        }
    }

    /// Removes `other` (which must be contained); saturates at zero.
    pub fn subtract(&mut self, other: &Resources) {
        for (name, q) in &other.0 {
            if let Some(mine) = self.0.get_mut(name) {
                match (mine, q) {
                    (Quantity::Scalar(a), Quantity::Scalar(b)) => {
                        *a -= b;
                        if *a < EPSILON {
                            *a = 0.0;
                        }
                    }
                    (Quantity::Ranges(a), Quantity::Ranges(b)) => *a = ranges_subtract(a, b),
                    (Quantity::Set(a), Quantity::Set(b)) => {
                        for item in b {
                            a.remove(item);
                        }
                    }
                    _ => {}
                }
            }
        }
        self.0.retain(|_, q| !is_empty(q));
    }

    pub fn contains(&self, other: &Resources) -> bool {
        other.0.iter().all(|(name, q)| {
            if is_empty(q) {
                return true;
            }
            match (self.0.get(name), q) {
                (Some(Quantity::Scalar(a)), Quantity::Scalar(b)) => *a + EPSILON >= *b,
                (Some(Quantity::Ranges(a)), Quantity::Ranges(b)) => ranges_contain(a, b),
                (Some(Quantity::Set(a)), Quantity::Set(b)) => b.is_subset(a),
                _ => false,
            }
        })
    }

    pub fn is_empty(&self) -> bool {
        self.0.values().all(is_empty)
    }

    /// JSON for /state: {"cpus": 4.0, "ports": "[31000-32000]"}.
    pub fn to_state_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (name, q) in &self.0 {
            let v = match q {
                Quantity::Scalar(v) => serde_json::json!(v),
                Quantity::Ranges(r) => serde_json::Value::String(format!(
                    "[{}]",
                    r.iter()
                        .map(|(b, e)| format!("{b}-{e}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Quantity::Set(s) => serde_json::Value::String(format!(
                    "{{{}}}",
                    s.iter().cloned().collect::<Vec<_>>().join(", ")
                )),
            };
            map.insert(name.clone(), v);
        }
        serde_json::Value::Object(map)
    }
}

fn is_empty(q: &Quantity) -> bool {
    match q {
        Quantity::Scalar(v) => *v < EPSILON,
        Quantity::Ranges(r) => r.is_empty(),
        Quantity::Set(s) => s.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_arithmetic() {
        let total = Resources::parse("cpus:4;mem:8192;disk:65536;ports:[31000-32000]").unwrap();
        let task = Resources::parse("cpus:1.5;mem:100;ports:[31000-31000,31005-31010]").unwrap();
        assert!(total.contains(&task));
        let mut free = total.clone();
        free.subtract(&task);
        assert_eq!(free.0["cpus"], Quantity::Scalar(2.5));
        assert_eq!(
            free.0["ports"],
            Quantity::Ranges(vec![(31001, 31004), (31011, 32000)])
        );
        assert!(!free.contains(&task));
        free.add(&task);
        assert_eq!(free, total);
        let back = Resources::from_proto(&total.to_proto(Some("r"))).unwrap();
        assert_eq!(back, total);
        assert!(Resources::parse("cpus:x").is_err());
        assert!(Resources::parse("cpus").is_err());
    }
}
