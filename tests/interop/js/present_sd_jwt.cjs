// Makes a presentation of an SD-JWT VC with the JavaScript reference library
// (@sd-jwt/sd-jwt-vc): the holder side written by someone other than realdid, so that
// realdid's verifier is shown to accept (and refuse) presentations it did not make.
//
// Usage: node present_sd_jwt.cjs <credential file> <holder private JWK file> <nonce> <aud> <claim>...
// Prints the compact presentation (the named top-level claims disclosed, key-bound with
// EdDSA to the nonce and audience). Needs NODE_PATH to hold the packages setup.sh installs.
"use strict";

const fs = require("node:fs");
const { SDJwtVcInstance } = require("@sd-jwt/sd-jwt-vc");
const { hasher, signer } = require("./sd_jwt_node.cjs");

async function main() {
  const [credentialFile, keyFile, nonce, aud, ...claims] = process.argv.slice(2);
  const credential = fs.readFileSync(credentialFile, "ascii").trim();
  const holderKey = JSON.parse(fs.readFileSync(keyFile, "ascii"));
  const sdjwt = new SDJwtVcInstance({
    hasher,
    hashAlg: "sha-256",
    kbSigner: signer(holderKey),
    kbSignAlg: "EdDSA",
  });
  const frame = Object.fromEntries(claims.map((claim) => [claim, true]));
  const presentation = await sdjwt.present(credential, frame, {
    kb: { payload: { iat: Math.floor(Date.now() / 1000), aud, nonce } },
  });
  process.stdout.write(`${presentation}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
