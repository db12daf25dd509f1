# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The root certificates that Windows itself requires, known by SHA-1 thumbprint.

Source: Microsoft KB293781, "Trusted root certificates that are required by Windows Server",
which says these roots must not be removed from the machine's Trusted Root store. Several are
MD5-signed X.509 v1 certificates that expired long ago; Windows keeps them for old signatures and
time stamps. The Microsoft Root Certificate Authority 2010 and 2011 roots sign current Windows code.
"""

from __future__ import annotations

# thumbprint (upper-case hex SHA-1 of the DER) -> the name KB293781 gives the root
WINDOWS_REQUIRED_ROOTS: dict[str, str] = {
    "A43489159A520F0D93D032CCAF37E7FE20A8B419": "Microsoft Root Authority",
    "CDD4EEAE6000AC7F40C3802C171E30148030C072": "Microsoft Root Certificate Authority",
    "3B1EFD3A66EA28B16697394703A72CA340A05BD5": "Microsoft Root Certificate Authority 2010",
    "8F43288AD272F3103B6FB1428485EA3014C0BCFE": "Microsoft Root Certificate Authority 2011",
    "245C97DF7514E7CF2DF8BE72AE957B9E04741E85": "Copyright (c) 1997 Microsoft Corp.",
    "7F88CD7223F3C813818C994614A89C99FA3B5247": "Microsoft Authenticode(tm) Root Authority",
    "18F7C1FCC3090203FD5BAA2F861A754976C8DD25": "NO LIABILITY ACCEPTED, (c)97 VeriSign, Inc.",
    "BE36A4562FB2EE05DBB3D32323ADF445084ED656": "Thawte Timestamping CA",
}


def is_windows_required(thumbprint: str) -> bool:
    """True for a root of KB293781 (thumbprint in any case)."""
    return thumbprint.upper() in WINDOWS_REQUIRED_ROOTS
