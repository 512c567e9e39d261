// `realdid bench verifier`'s comparison: the JavaScript reference library
// (@sd-jwt/sd-jwt-vc) verifies the benchmark's presentations in one Node process.
//
// Usage: node verify_presentations.cjs <input JSON>
// Input: {"issuer_jwk": {...}, "audience": "...", "status_lists": {"<uri>": "<token>"},
//         "presentations": [{"nonce": "...", "presentation": "..."}]}
// Two runs over the same presentations, each with the audience compared afterwards:
// - "sd_jwt": @sd-jwt/core's verification (issuer signature, disclosures, validity, key
//   binding by cnf.jwk with nonce and sd_hash), over every presentation;
// - "sd_jwt_vc": @sd-jwt/sd-jwt-vc's full SD-JWT VC verification, which adds the status:
//   the list token (served from memory here, never over the network) is verified and
//   decoded by the library on every call, as it is written to do. Much slower, so over the
//   first `vc_limit` presentations only.
// Prints one JSON line: {"sd_jwt": {...}, "sd_jwt_vc": {...}}, each
// {"verified", "failed", "seconds", "per_second", "first_error"}.
"use strict";

const fs = require("node:fs");
const { SDJwtInstance } = require("@sd-jwt/core");
const { SDJwtVcInstance } = require("@sd-jwt/sd-jwt-vc");
const { hasher, verifierFor, kbVerifier } = require("./sd_jwt_node.cjs");

async function run(instance, audience, presentations) {
  const check = async ({ nonce, presentation }) => {
    const result = await instance.verify(presentation, { keyBindingNonce: nonce });
    if (!result.kb || result.kb.payload.aud !== audience) throw new Error("audience");
  };
  // A short warm-up, so that the JIT is measured at speed, as a server would run.
  for (const p of presentations.slice(0, 200)) await check(p).catch(() => {});
  let verified = 0;
  let failed = 0;
  let firstError;
  const started = process.hrtime.bigint();
  for (const p of presentations) {
    try {
      await check(p);
      verified += 1;
    } catch (e) {
      failed += 1;
      firstError = firstError || String(e.message || e);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { verified, failed, seconds, per_second: verified / seconds, first_error: firstError };
}

async function main() {
  const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const lists = input.status_lists;
  const common = {
    hasher,
    hashAlg: "sha-256",
    verifier: verifierFor(input.issuer_jwk),
    kbVerifier: kbVerifier(),
  };
  const sdJwt = await run(new SDJwtInstance(common), input.audience, input.presentations);
  const vc = new SDJwtVcInstance({
    ...common,
    statusListFetcher: async (uri) => {
      const token = lists[uri];
      if (!token) throw new Error(`no status list for ${uri}`);
      return token;
    },
  });
  const sdJwtVc = await run(vc, input.audience, input.presentations.slice(0, input.vc_limit));
  process.stdout.write(`${JSON.stringify({ sd_jwt: sdJwt, sd_jwt_vc: sdJwtVc })}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
