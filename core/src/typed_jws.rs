//! The small JOSE pieces every realdid token type shares (proofs of control, trace
//! approvals, operator logins, and the `typ` checks of SD-JWT and VC-JWT): signing with a
//! `typ` and `kid`, parsing into an owned token, media-type comparison of `typ`, strict
//! object payloads, string `kid`s. Errors are reasons, for each caller's own variant.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::did::KeyId;
use crate::jws::{CompactJws, KeySigner, sign_compact};
use crate::keys::SigningKey;

/// Signs `claims` as a compact JWS with header `typ` and `kid` (and `alg` from the key);
/// the error is the reason, for the caller's `Signing` variant.
pub(crate) fn sign_typed(
    claims: &impl Serialize,
    typ: &str,
    kid: &str,
    key: &SigningKey,
) -> Result<String, String> {
    let payload = serde_json::to_vec(claims).map_err(|e| format!("serialising claims: {e}"))?;
    let mut header = Map::new();
    header.insert("typ".into(), Value::String(typ.into()));
    let signer = KeySigner::with_key_id(key.clone(), kid);
    sign_compact(&header, &payload, &signer).map_err(|e| e.to_string())
}

/// Parses a compact JWS of at most `max_len` bytes into a value that owns its data, so that
/// the parsed token can outlive the request text; the error is the reason.
pub(crate) fn parse_owned(input: &str, max_len: usize) -> Result<CompactJws<'static>, String> {
    if input.len() > max_len {
        return Err(format!(
            "{} bytes, more than the limit of {max_len}",
            input.len()
        ));
    }
    let structure = || "expected three base64url parts separated by '.'".to_owned();
    let (header, rest) = input.split_once('.').ok_or_else(structure)?;
    let (payload, signature) = rest.split_once('.').ok_or_else(structure)?;
    if signature.contains('.') {
        return Err(structure());
    }
    CompactJws::from_flattened(header, payload, signature).map_err(|e| e.to_string())
}

/// Why [`open`] refused a token.
pub(crate) enum Unopened {
    /// Not a JWS of at most the limit, or no string `kid`: the reason.
    Malformed(String),
    /// The header `typ` is another (or none): what it was.
    WrongType(Option<String>),
}

/// Parses a compact JWS of at most `max_len` bytes whose header `typ` is `typ` and whose
/// `kid` is a non-empty string: the token and its `kid`, not yet verified. Every realdid
/// token type opens this way before its own claims are read.
pub(crate) fn open(
    input: &str,
    max_len: usize,
    typ: &str,
) -> Result<(CompactJws<'static>, String), Unopened> {
    let jws = parse_owned(input, max_len).map_err(Unopened::Malformed)?;
    if !typ_is(jws.typ(), typ) {
        return Err(Unopened::WrongType(jws.typ().map(Into::into)));
    }
    let kid = string_kid(&jws).map_err(Unopened::Malformed)?;
    Ok((jws, kid))
}

/// Splits a `kid` that names a key of a `did:realdid` (`did:realdid:…#key-1`) into the
/// DID's text and the key id; the error is the reason.
pub(crate) fn did_url_kid(kid: &str) -> Result<(&str, KeyId), String> {
    let (did, fragment) = kid
        .split_once('#')
        .ok_or_else(|| "kid is not a DID URL with a key id fragment".to_owned())?;
    let key_id = fragment.parse().map_err(|e| format!("kid fragment: {e}"))?;
    Ok((did, key_id))
}

/// Whether a header `typ` is `expected` as a media type: RFC 7515 §4.1.9 makes the
/// `application/` prefix optional and media types are case-insensitive.
pub(crate) fn typ_is(found: Option<&str>, expected: &str) -> bool {
    let Some(found) = found else {
        return false;
    };
    let found = match found.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &found[12..],
        _ => found,
    };
    found.eq_ignore_ascii_case(expected)
}

/// Decodes a payload that must be one JSON object into `T`. A derived struct alone would
/// also accept a JSON array of the values in field order, which no JWT is; deserialising the
/// struct directly (not through a map) keeps serde's refusal of duplicate claims.
pub(crate) fn object_claims<T: DeserializeOwned>(payload: &[u8]) -> Result<T, String> {
    let first = payload
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(&b'{') {
        return Err("payload: not a JSON object".into());
    }
    serde_json::from_slice(payload).map_err(|e| format!("payload: {e}"))
}

/// The header's `kid`, which must be a non-empty string; the error is the reason.
pub(crate) fn string_kid(jws: &CompactJws<'_>) -> Result<String, String> {
    match jws.header().get("kid") {
        Some(Value::String(kid)) if !kid.is_empty() => Ok(kid.clone()),
        Some(Value::String(_)) => Err("kid is empty".into()),
        Some(_) => Err("kid is not a string".into()),
        None => Err("kid is missing".into()),
    }
}

/// At most 80 characters of untrusted text, for an error message.
pub(crate) fn truncated(text: &str) -> String {
    text.chars().take(80).collect()
}
