"""Offline stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test runs ``get_pip_<version>.py <pip options> pip==X setuptools==Y wheel==Z [--no-setuptools]
[--no-wheel]`` inside each fresh sanity virtual environment. This script does the same work without a
download: ``ensurepip`` puts the bundled pip in place, then ``pip install`` installs the requested
packages from whatever index pip is configured to use.
"""

import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel", "--no-pip"}


def main() -> None:
    """Bootstrap pip with ensurepip and install the requested packages."""
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    subprocess.check_call(
        [sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], stdout=subprocess.DEVNULL
    )
    if args:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *args])


if __name__ == "__main__":
    main()
