//! Splitting the two serialisations of an SD-JWT into their parts, with limits.
//!
//! Compact (RFC 9901 §4): `<issuer-signed JWT>~<disclosure>~…~<disclosure>~[<KB-JWT>]`.
//! Every part is borrowed from the input.
//!
//! Flattened JWS JSON (RFC 9901 §8): `{"protected", "payload", "signature", "header":
//! {"disclosures": [...], "kb_jwt": "..."}}`. The SD-JWT reference implementation 0.10 (and the
//! drafts it follows) puts `disclosures` and `kb_jwt` at the top level instead; both layouts
//! are read, a document using both is refused as ambiguous, and realdid writes the RFC
//! layout. The general JSON serialisation (`signatures`) is not supported.
//!
//! In both, the KB-JWT `sd_hash` input is the compact form up to and including the last `~`
//! (for JSON, rebuilt from the members as RFC 9901 §8.1 says).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::SdJwtError;
use super::verify::Limits;
use crate::jws::CompactJws;

/// An SD-JWT split into its parts; nothing verified yet.
pub(crate) struct Parts<'a> {
    pub(crate) jws: CompactJws<'a>,
    pub(crate) disclosures: Vec<Cow<'a, str>>,
    pub(crate) kb_jwt: Option<Cow<'a, str>>,
    /// The compact form up to and including the last `~`: the `sd_hash` input.
    pub(crate) sd_hash_input: Cow<'a, str>,
}

/// Splits either serialisation; JSON is recognised by its leading `{`.
pub(crate) fn split<'a>(input: &'a str, limits: &Limits) -> Result<Parts<'a>, SdJwtError> {
    within_length(input, limits)?;
    if input.trim_start().starts_with('{') {
        split_json(input, limits)
    } else {
        split_compact(input, limits)
    }
}

/// [`split`] of the compact serialisation alone: anything else, the JSON serialisation
/// included, is malformed.
pub(crate) fn split_compact_only<'a>(
    input: &'a str,
    limits: &Limits,
) -> Result<Parts<'a>, SdJwtError> {
    within_length(input, limits)?;
    split_compact(input, limits)
}

fn within_length(input: &str, limits: &Limits) -> Result<(), SdJwtError> {
    if input.len() > limits.max_len {
        return Err(SdJwtError::TooLarge {
            what: "SD-JWT",
            len: input.len(),
            max: limits.max_len,
        });
    }
    Ok(())
}

fn split_compact<'a>(input: &'a str, limits: &Limits) -> Result<Parts<'a>, SdJwtError> {
    let Some(last) = input.rfind('~') else {
        return Err(SdJwtError::Malformed {
            part: "SD-JWT",
            reason: "no '~' after the issuer-signed JWT".into(),
        });
    };
    let (prefix, kb_jwt) = (&input[..=last], &input[last + 1..]);
    let count = prefix.bytes().filter(|&b| b == b'~').count() - 1;
    if count > limits.max_disclosures {
        return Err(SdJwtError::TooManyDisclosures {
            count,
            max: limits.max_disclosures,
        });
    }
    let mut parts = prefix[..last].split('~');
    let jwt = parts.next().unwrap_or_default();
    let mut disclosures = Vec::with_capacity(count);
    for d in parts {
        if d.is_empty() {
            return Err(SdJwtError::Malformed {
                part: "SD-JWT",
                reason: "empty disclosure ('~~')".into(),
            });
        }
        disclosures.push(Cow::Borrowed(d));
    }
    let jws = CompactJws::parse(jwt).map_err(SdJwtError::IssuerSignature)?;
    Ok(Parts {
        jws,
        disclosures,
        kb_jwt: (!kb_jwt.is_empty()).then_some(Cow::Borrowed(kb_jwt)),
        sd_hash_input: Cow::Borrowed(prefix),
    })
}

#[derive(Deserialize)]
struct JsonSdJwt {
    protected: String,
    payload: String,
    signature: String,
    #[serde(default)]
    header: Option<UnprotectedHeader>,
    #[serde(default)]
    disclosures: Option<Vec<String>>,
    #[serde(default)]
    kb_jwt: Option<String>,
    #[serde(default)]
    signatures: Option<Value>,
}

#[derive(Deserialize)]
struct UnprotectedHeader {
    #[serde(default)]
    disclosures: Option<Vec<String>>,
    #[serde(default)]
    kb_jwt: Option<String>,
}

fn split_json<'a>(input: &'a str, limits: &Limits) -> Result<Parts<'a>, SdJwtError> {
    let doc: JsonSdJwt = serde_json::from_str(input).map_err(|e| SdJwtError::Malformed {
        part: "SD-JWT JSON serialisation",
        reason: e.to_string(),
    })?;
    if doc.signatures.is_some() {
        return Err(SdJwtError::Unsupported {
            what: "the general JWS JSON serialisation (\"signatures\")".into(),
        });
    }
    let (header_disclosures, header_kb) = match doc.header {
        Some(h) => (h.disclosures, h.kb_jwt),
        None => (None, None),
    };
    let ambiguous = |member: &str| SdJwtError::Malformed {
        part: "SD-JWT JSON serialisation",
        reason: format!("{member:?} both in \"header\" and at the top level"),
    };
    let disclosures = match (header_disclosures, doc.disclosures) {
        (Some(d), None) | (None, Some(d)) => d,
        (Some(_), Some(_)) => return Err(ambiguous("disclosures")),
        (None, None) => {
            return Err(SdJwtError::Malformed {
                part: "SD-JWT JSON serialisation",
                reason: "no \"disclosures\" member".into(),
            });
        }
    };
    let kb_jwt = match (header_kb, doc.kb_jwt) {
        (Some(k), None) | (None, Some(k)) => Some(k),
        (Some(_), Some(_)) => return Err(ambiguous("kb_jwt")),
        (None, None) => None,
    };
    if disclosures.len() > limits.max_disclosures {
        return Err(SdJwtError::TooManyDisclosures {
            count: disclosures.len(),
            max: limits.max_disclosures,
        });
    }
    if disclosures.iter().any(|d| d.is_empty() || d.contains('~')) {
        return Err(SdJwtError::Malformed {
            part: "SD-JWT JSON serialisation",
            reason: "a disclosure is empty or contains '~'".into(),
        });
    }
    let jws = CompactJws::from_flattened(&doc.protected, &doc.payload, &doc.signature)
        .map_err(SdJwtError::IssuerSignature)?;
    let mut sd_hash_input = String::with_capacity(
        doc.protected.len()
            + doc.payload.len()
            + doc.signature.len()
            + 3
            + disclosures.iter().map(|d| d.len() + 1).sum::<usize>(),
    );
    for part in [&doc.protected, ".", &doc.payload, ".", &doc.signature, "~"] {
        sd_hash_input.push_str(part);
    }
    for d in &disclosures {
        sd_hash_input.push_str(d);
        sd_hash_input.push('~');
    }
    Ok(Parts {
        jws,
        disclosures: disclosures.into_iter().map(Cow::Owned).collect(),
        kb_jwt: kb_jwt.filter(|k| !k.is_empty()).map(Cow::Owned),
        sd_hash_input: Cow::Owned(sd_hash_input),
    })
}
