"""Makes a presentation of an SD-JWT VC with the IETF reference implementation (PyPI
`sd-jwt`): the holder side, written by someone other than realdid, so that realdid's
verifier is shown to accept (and refuse) presentations it did not make itself.

Usage: present_sd_jwt.py <credential file> <holder private JWK file> <nonce> <aud> <claim>...
Prints the compact presentation (disclosing the named top-level claims, key-bound with
EdDSA to the nonce and audience).
"""

import sys

from jwcrypto.jwk import JWK
from sd_jwt.holder import SDJWTHolder


def main() -> int:
    credential = open(sys.argv[1], encoding="ascii").read().strip()
    holder_key = JWK.from_json(open(sys.argv[2], encoding="ascii").read())
    nonce, aud, claims = sys.argv[3], sys.argv[4], sys.argv[5:]
    holder = SDJWTHolder(credential)
    holder.create_presentation(
        {claim: True for claim in claims}, nonce, aud, holder_key, "EdDSA"
    )
    print(holder.sd_jwt_presentation)
    return 0


if __name__ == "__main__":
    sys.exit(main())
