"""Verifies an SD-JWT VC with the IETF reference implementation (PyPI `sd-jwt`), so that
realdid's credentials are checked by code that is not realdid's.

Usage: verify_sd_jwt.py <credential file> <issuer public JWK file>
Prints the verified payload with every disclosure applied, as JSON; exits non-zero (with
the reason on stderr) when the credential does not verify.
"""

import json
import sys

from jwcrypto.jwk import JWK
from sd_jwt.verifier import SDJWTVerifier


def main() -> int:
    credential = open(sys.argv[1], encoding="ascii").read().strip()
    issuer_key = JWK.from_json(open(sys.argv[2], encoding="ascii").read())
    verifier = SDJWTVerifier(credential, lambda iss, header: issuer_key)
    print(json.dumps(verifier.get_verified_payload()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
