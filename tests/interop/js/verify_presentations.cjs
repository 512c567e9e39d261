// `realdid bench verifier`'s comparison: the JavaScript reference library
// (@sd-jwt/sd-jwt-vc) verifies the benchmark's presentations in one Node process.
//
// Usage: node verify_presentations.cjs <input JSON>
// Input: {"issuer_jwk": {...}, "audience": "...", "status_lists": {"<uri>": "<token>"},
//         "presentations": [{"nonce": "...", "presentation": "..."}]}
// Each presentation gets the library's full SD-JWT VC verification: issuer signature,
// disclosures, validity, key binding (signature by cnf.jwk, nonce, sd_hash), and status
// (the list token — served from memory here, never over the network — is verified and
// decoded by the library on each call, as it is written to do); then the audience is
// compared. Prints one JSON line: {"verified", "failed", "seconds", "per_second"}.
"use strict";

const fs = require("node:fs");
const { SDJwtVcInstance } = require("@sd-jwt/sd-jwt-vc");
const { hasher, verifierFor, kbVerifier } = require("./sd_jwt_node.cjs");

async function main() {
  const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const lists = input.status_lists;
  const sdjwt = new SDJwtVcInstance({
    hasher,
    hashAlg: "sha-256",
    verifier: verifierFor(input.issuer_jwk),
    kbVerifier: kbVerifier(),
    statusListFetcher: async (uri) => {
      const token = lists[uri];
      if (!token) throw new Error(`no status list for ${uri}`);
      return token;
    },
  });
  const check = async ({ nonce, presentation }) => {
    const result = await sdjwt.verify(presentation, { keyBindingNonce: nonce });
    if (!result.kb || result.kb.payload.aud !== input.audience) throw new Error("audience");
  };
  // A short warm-up, so that the JIT is measured at speed, as a server would run.
  for (const p of input.presentations.slice(0, 200)) await check(p).catch(() => {});
  let verified = 0;
  let failed = 0;
  let firstError;
  const started = process.hrtime.bigint();
  for (const p of input.presentations) {
    try {
      await check(p);
      verified += 1;
    } catch (e) {
      failed += 1;
      firstError = firstError || String(e.message || e);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    `${JSON.stringify({ verified, failed, seconds, per_second: verified / seconds, first_error: firstError })}\n`,
  );
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
