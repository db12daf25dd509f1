# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench`: see bench/README.md."""


class NotAvailable(Exception):
    """A part of the benchmark cannot run in this tree yet; the message says what is missing."""
