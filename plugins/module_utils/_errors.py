# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception type the PKI core raises for bad input."""

from __future__ import annotations


class PkiInputError(ValueError):
    """Bad input (certificate, CRL, blob): the message names the input and the fault."""

    def __init__(self, source: str, fault: str) -> None:
        """Build the error from the input's name and what is wrong with it."""
        self.source = source
        self.fault = fault
        super().__init__(f"{source}: {fault}")
