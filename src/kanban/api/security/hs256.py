"""PyJWT as the API uses it: HS256 only, imported without `cryptography`.

PyJWT imports `cryptography` when it is installed (it is, for the MCP client's OAuth) to offer RSA,
EC and EdDSA keys; the API signs and accepts HS256 alone, for which PyJWT needs only hmac. Loading
`cryptography` costs the API process about 8 MiB for algorithms it refuses. So PyJWT is imported
here with `cryptography` hidden (PyJWT treats it as not installed); a process that imported
`cryptography` before keeps it, and later imports of `cryptography` elsewhere are unaffected.
"""

from __future__ import annotations

import sys
from types import ModuleType


def _import_pyjwt() -> ModuleType:
    if "jwt" in sys.modules or "cryptography" in sys.modules:
        import jwt

        return jwt
    sys.modules["cryptography"] = None  # type: ignore[assignment]  # import raises ModuleNotFoundError
    try:
        import jwt

        return jwt
    finally:
        del sys.modules["cryptography"]


jwt = _import_pyjwt()
