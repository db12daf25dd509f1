# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The root CAs that Lync Phone Edition (LPE) firmware trusts, per firmware baseline.

Data source: the table "trusted root CA certificates utilized by LPE" in Jeff Schertz,
"Lync Phone Edition and Public Certificates" (2014-10-28,
https://blog.schertz.name/2014/10/lync-phone-edition-and-public-certificates/), which extends the
TechNet page "Certificates for Lync Phone Edition" (gg398270, last at CU10 4.0.7577.4414).
Column "Added" is the first firmware baseline that ships the root: RTM, CU10, or CU11 (January 2014,
4.0.7577.4420). A firmware trusts every root added at or before its own baseline. LPE firmware has no
automatic root update, so an expired root in its table stays expired for the phone.
The table's label column joins vendor and friendly name, kept as published (en dashes as hyphens).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

BASELINES: tuple[str, ...] = ("RTM", "CU10", "CU11")
# Firmware versions named by the source; RTM has none there.
BASELINE_VERSIONS: dict[str, str] = {"CU10": "4.0.7577.4414", "CU11": "4.0.7577.4420"}


@dataclass(frozen=True)
class LpeRoot:
    """One root of the LPE firmware table."""

    thumbprint: str
    label: str
    expires: date
    algorithm: str
    key_bits: int
    added: str


LPE_ROOTS: tuple[LpeRoot, ...] = (
    LpeRoot(
        "2F173F7DE99667AFA57AF80AA2D1B12FAC830338",
        "CyberTrust GlobalSign Root CA",
        date(2014, 1, 28),
        "md5RSA",
        2048,
        "RTM",
    ),
    LpeRoot(
        "4463C531D7CCC1006794612BB656D3BF8257846F", "VeriSign Comodo", date(2010, 1, 7), "md2RSA", 1024, "RTM"
    ),
    LpeRoot(
        "D4DE20D05E66FC53FE1A50882C78DB2852CAE474",
        "CyberTrust Baltimore aTrust Root",
        date(2025, 5, 12),
        "sha1RSA",
        2048,
        "RTM",
    ),
    LpeRoot(
        "97817950D81C9670CC34D809CF794431367EF474",
        "CyberTrust GTE CyberTrust Global Root",
        date(2018, 8, 13),
        "md5RSA",
        1024,
        "RTM",
    ),
    LpeRoot(
        "6782AAE0EDEEE21A5839D3C0CD14680A4F60142A",
        "VeriSign Class 2 Public Primary Certification Authority",
        date(2028, 8, 1),
        "md2RSA",
        1024,
        "RTM",
    ),
    LpeRoot(
        "627F8D7827656399D27D7F9044C9FEB3F33EFA9A",
        "VeriSign Thawte Premium Server CA",
        date(2020, 12, 31),
        "md5RSA",
        1024,
        "RTM",
    ),
    LpeRoot(
        "23E594945195F2414803B4D564D2A3A3F5D88B8C",
        "VeriSign Thawte Server CA",
        date(2020, 12, 31),
        "md5RSA",
        1024,
        "RTM",
    ),
    LpeRoot(
        "742C3192E607E424EB4549542BE1BBC53E6174E2",
        "VeriSign Class 3 Public Primary Certification Authority",
        date(2028, 8, 1),
        "md2RSA",
        1024,
        "RTM",
    ),
    LpeRoot(
        "801D62D07B449D5C5C035C98EA61FA443C2A58FE",
        "Entrust Certification Authority (2048)",
        date(2019, 12, 24),
        "sha1RSA",
        2048,
        "RTM",
    ),
    LpeRoot(
        "D1EB23A46D17D68FD92564C2F1F1601764D8E349",
        "Comodo AAA Certificate Services",
        date(2020, 12, 31),
        "sha1RSA",
        2048,
        "RTM",
    ),
    LpeRoot(
        "02FAF3E291435468607857694DF5E45B68851868",
        "Comodo AddTrust External CA Root",
        date(2020, 5, 30),
        "sha1RSA",
        2048,
        "RTM",
    ),
    LpeRoot(
        "99A69BE61AFE886B4D2B82007CB854FC317E1539",
        "Entrust Secure Server Certification Authority",
        date(2019, 5, 25),
        "sha1RSA",
        1024,
        "RTM",
    ),
    LpeRoot(
        "D23209AD23D314232174E40D7F9D62139786633A",
        "Equifax Equifax Secure Certificate Authority",
        date(2018, 8, 22),
        "sha1RSA",
        1024,
        "RTM",
    ),
    LpeRoot(
        "DE28F4A4FFE5B92FA3C503D1A349A7F9962A8212",
        "Geo Trust GeoTrust Global CA",
        date(2022, 5, 20),
        "sha1RSA",
        2048,
        "RTM",
    ),
    LpeRoot(
        "2796BAE63F1801E277261BA0D77770028F20EEE4",
        "Go Daddy Go Daddy Class 2 Certification Authority",
        date(2034, 6, 29),
        "sha1RSA",
        2048,
        "RTM",
    ),
    LpeRoot(
        "317A2AD07F2B335EF5A1C34E4B57E8B7D8F1FCA6",
        "Go Daddy ValiCert Class 2 Policy Validation Authority",
        date(2019, 6, 25),
        "sha1RSA",
        1024,
        "RTM",
    ),
    LpeRoot(
        "AD7E1C28B064EF8F6003402014C3D0E3370EB58A",
        "Go Daddy Starfield Class 2 Certification Authority",
        date(2034, 6, 29),
        "sha1RSA",
        2048,
        "RTM",
    ),
    LpeRoot(
        "5FB7EE0633E259DBAD0C4C9AE6D38F1A61C7DC25",
        "DigiCert DigiCert High Assurance EV Root CA",
        date(2031, 11, 9),
        "sha1RSA",
        2048,
        "CU10",
    ),
    LpeRoot(
        "B31EB1B740E36C8402DADC37D44DF5D4674952F9",
        "Entrust Entrust Root Certification Authority",
        date(2026, 11, 27),
        "sha1RSA",
        2048,
        "CU11",
    ),
    LpeRoot(
        "503006091D97D4F5AE39F7CBE7927D7D652D3431",
        "Entrust Certification Authority (2048)",
        date(2029, 7, 24),
        "sha1RSA",
        2048,
        "CU11",
    ),
    LpeRoot(
        "0563B8630D62D75ABBC8AB1E4BDFB5A899B24D43",
        "DigiCert DigiCert Assured ID Root CA",
        date(2031, 11, 9),
        "sha1RSA",
        2048,
        "CU11",
    ),
    LpeRoot(
        "A8985D3A65E5E5C4B2D7D66D40C6DD2FB19C5436",
        "DigiCert DigiCert Global Root CA",
        date(2031, 11, 9),
        "sha1RSA",
        2048,
        "CU11",
    ),
    LpeRoot(
        "B1BC968BD4F49D622AA89A81F2150152A41D829C",
        "GlobalSign GlobalSign Root CA",
        date(2028, 1, 28),
        "sha1RSA",
        2048,
        "CU11",
    ),
    LpeRoot(
        "8CF427FD790C3AD166068DE81E57EFBB932272D4",
        "Entrust Entrust Root Certification Authority - G2",
        date(2030, 12, 7),
        "sha256RSA",
        2048,
        "CU11",
    ),
    LpeRoot(
        "A9E9780814375888F20519B06D2B0D2B6016907D",
        "GeoTrust GeoTrust Global CA 2",
        date(2019, 3, 3),
        "sha1RSA",
        2048,
        "CU11",
    ),
    LpeRoot(
        "039EEDB80BE7A03C6953893B20D2D9323A4C2AFD",
        "GeoTrust GeoTrust Primary Certification Authority - G3",
        date(2037, 12, 1),
        "sha256RSA",
        2048,
        "CU11",
    ),
    LpeRoot(
        "323C118E1BF7B8B65254E2E2100DD6029037F096",
        "GeoTrust GeoTrust Primary Certification Authority",
        date(2036, 7, 16),
        "sha1RSA",
        2048,
        "CU11",
    ),
    LpeRoot(
        "47BEABC922EAE80E78783462A79F45C254FDE68B",
        "Go Daddy Go Daddy Root Certificate Authority - G2",
        date(2037, 12, 31),
        "sha256RSA",
        2048,
        "CU11",
    ),
    LpeRoot(
        "B51C067CEE2B0C3DF855AB2D92F4FE39D4E70F0E",
        "Starfield Starfield Root Certificate Authority - G2",
        date(2037, 12, 31),
        "sha256RSA",
        2048,
        "CU11",
    ),
    LpeRoot(
        "F18B538D1BE903B6A6F056435B171589CAF36BF2",
        "Thawte thawte Primary Root CA - G3",
        date(2037, 12, 1),
        "sha256RSA",
        2048,
        "CU11",
    ),
    LpeRoot(
        "91C6D6EE3E8AC86384E548C299295C756C817B81",
        "Thawte thawte Primary Root CA",
        date(2036, 7, 16),
        "sha1RSA",
        2048,
        "CU11",
    ),
    LpeRoot(
        "132D0D45534B6997CDB2D5C339E25576609B5CC6",
        "VeriSign VeriSign Class 3 Public Primary Certification Authority - G3",
        date(2036, 7, 16),
        "sha1RSA",
        2048,
        "CU11",
    ),
    LpeRoot(
        "4EB6D578499B1CCF5F581EAD56BE3D9B6744A5E5",
        "VeriSign VeriSign Class 3 Public Primary Certification Authority - G5",
        date(2036, 7, 16),
        "sha1RSA",
        2048,
        "CU11",
    ),
    LpeRoot(
        "C8EC8C879269CB4BAB39E98D7E5767F31495739D",
        "VeriSign VeriSign Class 4 Public Primary Certification Authority - G3",
        date(2036, 7, 16),
        "sha1RSA",
        2048,
        "CU11",
    ),
)

_BY_THUMBPRINT: dict[str, LpeRoot] = {root.thumbprint: root for root in LPE_ROOTS}


def lpe_root(thumbprint: str) -> LpeRoot | None:
    """The table entry for a SHA-1 thumbprint (any case, colons or spaces allowed), or None."""
    return _BY_THUMBPRINT.get(thumbprint.replace(":", "").replace(" ", "").upper())


def trusted_at(root: LpeRoot, baseline: str) -> bool:
    """Whether firmware at `baseline` ships `root`; an unknown baseline raises ValueError."""
    return BASELINES.index(root.added) <= BASELINES.index(baseline)


def roots_at(baseline: str) -> frozenset[str]:
    """Thumbprints of the roots that firmware at `baseline` trusts."""
    return frozenset(r.thumbprint for r in LPE_ROOTS if trusted_at(r, baseline))
