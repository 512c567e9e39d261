// Node's own crypto plugged into the @sd-jwt libraries: SHA-256 and Ed25519 (EdDSA), the
// algorithms of realdid's credentials. Shared by the holder script and the benchmark.
"use strict";

const crypto = require("node:crypto");

/** The SD-JWT hasher: `sha-256` only, as realdid issues. */
function hasher(data, alg) {
  if (alg !== "sha-256") throw new Error(`unsupported _sd_alg ${alg}`);
  return new Uint8Array(crypto.createHash("sha256").update(data).digest());
}

/** An EdDSA signer from a private OKP JWK. */
function signer(privateJwk) {
  const key = crypto.createPrivateKey({ key: privateJwk, format: "jwk" });
  return (data) => crypto.sign(null, Buffer.from(data), key).toString("base64url");
}

/** A verifier of EdDSA signatures by a public OKP JWK. */
function verifierFor(publicJwk) {
  const key = crypto.createPublicKey({ key: publicJwk, format: "jwk" });
  return (data, signature) =>
    crypto.verify(null, Buffer.from(data), key, Buffer.from(signature, "base64url"));
}

/** The key-binding verifier: the holder key is the credential's `cnf.jwk`. Keys are parsed
 * once per distinct `x`, as any long-running verifier would. */
function kbVerifier() {
  const keys = new Map();
  return (data, signature, payload) => {
    const jwk = payload && payload.cnf && payload.cnf.jwk;
    if (!jwk || jwk.kty !== "OKP" || jwk.crv !== "Ed25519") return false;
    let verify = keys.get(jwk.x);
    if (!verify) {
      verify = verifierFor({ kty: jwk.kty, crv: jwk.crv, x: jwk.x });
      keys.set(jwk.x, verify);
    }
    return verify(data, signature);
  };
}

module.exports = { hasher, signer, verifierFor, kbVerifier };
