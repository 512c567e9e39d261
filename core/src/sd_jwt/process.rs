//! Unpacking disclosures into the payload (RFC 9901 §7.1 step 3 to 5): the one algorithm
//! the verifier runs on presented disclosures and the holder runs on all of them.
//!
//! Values are moved, never cloned: each disclosure's value is taken out of its slot when its
//! digest is met, which also makes "referenced at most once" structural. Digests are
//! compared as raw 32-byte arrays, so no digest costs an allocation.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::digest::{DigestBytes, parse_digest};
use super::path::ClaimPath;
use super::{ARRAY_ELEMENT_KEY, SD_KEY, SdJwtError};

struct Slot {
    name: Option<String>,
    value: Value,
}

/// The disclosures of one SD-JWT, keyed by digest.
pub(crate) struct DisclosureSet {
    by_digest: HashMap<DigestBytes, usize>,
    slots: Vec<Option<Slot>>,
}

impl DisclosureSet {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Self {
            by_digest: HashMap::with_capacity(n),
            slots: Vec::with_capacity(n),
        }
    }

    /// Adds the next disclosure; refuses one whose digest was already added.
    pub(crate) fn push(
        &mut self,
        digest: DigestBytes,
        name: Option<String>,
        value: Value,
    ) -> Result<(), SdJwtError> {
        let index = self.slots.len();
        if let Some(&first) = self.by_digest.get(&digest) {
            return Err(SdJwtError::DuplicateDisclosure { index, first });
        }
        self.by_digest.insert(digest, index);
        self.slots.push(Some(Slot { name, value }));
        Ok(())
    }
}

/// A path segment while walking: indices stay numbers until a path is recorded.
enum Segment {
    Key(String),
    Index(usize),
}

/// The result of unpacking: the processed claims and, for every disclosure used, the path of
/// the claim it disclosed (parents before their children) and its index in the input.
pub(crate) struct Unpacked {
    pub(crate) claims: Map<String, Value>,
    pub(crate) disclosed: Vec<(ClaimPath, usize)>,
}

/// Replaces digests by disclosed claims, drops undisclosed and decoy digests, removes `_sd`
/// members and `...` placeholders, and checks every rule of RFC 9901 §7.1: no digest twice,
/// every disclosure referenced exactly once, the right kind of disclosure at each place, no
/// claim name collision. `_sd_alg` is the caller's business (it is top-level only).
pub(crate) fn unpack(
    payload: Map<String, Value>,
    disclosures: DisclosureSet,
    max_depth: usize,
) -> Result<Unpacked, SdJwtError> {
    let mut unpacker = Unpacker {
        by_digest: disclosures.by_digest,
        slots: disclosures.slots,
        seen: HashSet::new(),
        max_depth,
        path: Vec::new(),
        disclosed: Vec::new(),
    };
    let claims = unpacker.object(payload, 0)?;
    if let Some(index) = unpacker.slots.iter().position(Option::is_some) {
        return Err(SdJwtError::UnreferencedDisclosure { index });
    }
    Ok(Unpacked {
        claims,
        disclosed: unpacker.disclosed,
    })
}

struct Unpacker {
    by_digest: HashMap<DigestBytes, usize>,
    slots: Vec<Option<Slot>>,
    seen: HashSet<DigestBytes>,
    max_depth: usize,
    path: Vec<Segment>,
    disclosed: Vec<(ClaimPath, usize)>,
}

impl Unpacker {
    fn value(&mut self, value: Value, depth: usize) -> Result<Value, SdJwtError> {
        match value {
            Value::Object(map) => Ok(Value::Object(self.object(map, depth)?)),
            Value::Array(items) => Ok(Value::Array(self.array(items, depth)?)),
            scalar => Ok(scalar),
        }
    }

    /// Notes a digest; a second sighting anywhere is an error.
    fn see(&mut self, text: &str, part: &'static str) -> Result<Option<usize>, SdJwtError> {
        let digest = parse_digest(text).ok_or_else(|| SdJwtError::Malformed {
            part,
            reason: "digest is not base64url of a SHA-256 hash".into(),
        })?;
        if !self.seen.insert(digest) {
            return Err(SdJwtError::DuplicateDigest {
                digest: text.into(),
            });
        }
        Ok(self.by_digest.get(&digest).copied())
    }

    fn take(&mut self, index: usize) -> Result<Slot, SdJwtError> {
        // A slot is taken only when its digest is first seen, and `see` refuses a second
        // sighting, so an empty slot here is a bug.
        self.slots
            .get_mut(index)
            .and_then(Option::take)
            .ok_or_else(|| SdJwtError::Internal {
                reason: format!("disclosure {index} taken twice"),
            })
    }

    fn record(&mut self, index: usize) {
        let segments = self
            .path
            .iter()
            .map(|s| match s {
                Segment::Key(k) => k.clone(),
                Segment::Index(i) => i.to_string(),
            })
            .collect();
        self.disclosed
            .push((ClaimPath::from_segments(segments), index));
    }

    fn pop_key(&mut self) -> Result<String, SdJwtError> {
        match self.path.pop() {
            Some(Segment::Key(k)) => Ok(k),
            _ => Err(SdJwtError::Internal {
                reason: "unbalanced claim path".into(),
            }),
        }
    }

    fn object(
        &mut self,
        map: Map<String, Value>,
        depth: usize,
    ) -> Result<Map<String, Value>, SdJwtError> {
        if depth >= self.max_depth {
            return Err(SdJwtError::TooDeep {
                max: self.max_depth,
            });
        }
        let mut out = Map::with_capacity(map.len());
        let mut digests = None;
        for (name, value) in map {
            if name == SD_KEY {
                digests = Some(value);
                continue;
            }
            // The name travels through the path stack and back, so it is never cloned.
            self.path.push(Segment::Key(name));
            let value = self.value(value, depth + 1)?;
            let name = self.pop_key()?;
            out.insert(name, value);
        }
        let Some(digests) = digests else {
            return Ok(out);
        };
        let Value::Array(digests) = digests else {
            return Err(SdJwtError::Malformed {
                part: "_sd",
                reason: "not an array".into(),
            });
        };
        for digest in digests {
            let Value::String(digest) = digest else {
                return Err(SdJwtError::Malformed {
                    part: "_sd",
                    reason: "digest is not a string".into(),
                });
            };
            let Some(index) = self.see(&digest, "_sd")? else {
                continue; // undisclosed or decoy
            };
            let slot = self.take(index)?;
            let Some(name) = slot.name else {
                return Err(SdJwtError::DisclosureKind {
                    index,
                    expected: "object property",
                    found: "array element",
                });
            };
            if out.contains_key(&name) {
                return Err(SdJwtError::ClaimCollision { name });
            }
            self.path.push(Segment::Key(name));
            self.record(index);
            let value = self.value(slot.value, depth + 1)?;
            let name = self.pop_key()?;
            out.insert(name, value);
        }
        Ok(out)
    }

    fn array(&mut self, items: Vec<Value>, depth: usize) -> Result<Vec<Value>, SdJwtError> {
        if depth >= self.max_depth {
            return Err(SdJwtError::TooDeep {
                max: self.max_depth,
            });
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let item = match item {
                Value::Object(map) if map.len() == 1 && map.contains_key(ARRAY_ELEMENT_KEY) => {
                    let Some((_, Value::String(digest))) = map.into_iter().next() else {
                        return Err(SdJwtError::Malformed {
                            part: "...",
                            reason: "digest is not a string".into(),
                        });
                    };
                    let Some(index) = self.see(&digest, "...")? else {
                        continue; // undisclosed or decoy: the element is removed
                    };
                    let slot = self.take(index)?;
                    if slot.name.is_some() {
                        return Err(SdJwtError::DisclosureKind {
                            index,
                            expected: "array element",
                            found: "object property",
                        });
                    }
                    self.path.push(Segment::Index(out.len()));
                    self.record(index);
                    slot.value
                }
                plain => {
                    self.path.push(Segment::Index(out.len()));
                    plain
                }
            };
            let value = self.value(item, depth + 1);
            self.path.pop();
            out.push(value?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use serde_json::json;

    use super::*;
    use crate::sd_jwt::Disclosure;

    fn set(ds: &[&Disclosure]) -> DisclosureSet {
        let mut s = DisclosureSet::with_capacity(ds.len());
        for d in ds {
            s.push(
                d.digest_bytes(),
                d.name().map(Into::into),
                d.value().clone(),
            )
            .unwrap();
        }
        s
    }

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn unpacks_nested_objects_and_arrays() {
        let street = Disclosure::property("s1", "street", json!("Main")).unwrap();
        let address = Disclosure::property(
            "s2",
            "address",
            json!({"_sd": [street.digest()], "c": "US"}),
        )
        .unwrap();
        let elem = Disclosure::array_element("s3", json!("DE")).unwrap();
        let payload = obj(json!({
            "_sd": [address.digest()],
            "n": [{"...": elem.digest()}, "FR"],
        }));
        let out = unpack(payload, set(&[&street, &elem, &address]), 32).unwrap();
        assert_eq!(
            Value::Object(out.claims),
            json!({"n": ["DE", "FR"], "address": {"c": "US", "street": "Main"}})
        );
        let paths: Vec<String> = out.disclosed.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(paths, ["/n/0", "/address", "/address/street"]);
    }

    #[test]
    fn rejects_wrong_kind_collision_depth() {
        let elem = Disclosure::array_element("s", json!(1)).unwrap();
        let payload = obj(json!({"_sd": [elem.digest()]}));
        assert!(matches!(
            unpack(payload, set(&[&elem]), 32),
            Err(SdJwtError::DisclosureKind { index: 0, .. })
        ));

        let prop = Disclosure::property("s", "a", json!(1)).unwrap();
        let payload = obj(json!({"a": 2, "_sd": [prop.digest()]}));
        assert!(matches!(
            unpack(payload, set(&[&prop]), 32),
            Err(SdJwtError::ClaimCollision { .. })
        ));

        let payload = obj(json!({"a": [[[1]]]}));
        assert!(matches!(
            unpack(payload.clone(), set(&[]), 3),
            Err(SdJwtError::TooDeep { max: 3 })
        ));
        assert!(unpack(payload, set(&[]), 4).is_ok());
    }

    #[test]
    fn rejects_duplicate_digest_and_unreferenced() {
        let prop = Disclosure::property("s", "a", json!(1)).unwrap();
        let payload = obj(json!({"_sd": [prop.digest()], "x": {"_sd": [prop.digest()]}}));
        assert!(matches!(
            unpack(payload, set(&[&prop]), 32),
            Err(SdJwtError::DuplicateDigest { .. })
        ));
        let payload = obj(json!({"b": 1}));
        assert!(matches!(
            unpack(payload, set(&[&prop]), 32),
            Err(SdJwtError::UnreferencedDisclosure { index: 0 })
        ));
    }
}
