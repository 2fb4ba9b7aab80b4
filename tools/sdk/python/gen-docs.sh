#!/usr/bin/env bash
# Writes the Python SDK's API reference into docs/sdk/python/ (or the
# directory given) with the standard library's pydoc (HTML from the
# docstrings and type hints); tests/test_docs.py checks it is current.
# The absolute source paths pydoc links to are made repository-relative.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${1:-$root/docs/sdk/python}"
mkdir -p "$out"
rm -f "$out"/tenantkv*.html
cd "$out"
export PYTHONPATH="$here/src" PYTHONDONTWRITEBYTECODE=1
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3  # Debian's, with python3-requests
for m in tenantkv tenantkv.client tenantkv.errors tenantkv.models tenantkv.retry; do
  "$py" -m pydoc -w "$m" >/dev/null
done
sed -i -e "s|file:$here/src/|../../../tools/sdk/python/src/|g" -e "s|$here/src/|tools/sdk/python/src/|g" tenantkv*.html
