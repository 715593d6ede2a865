# Sourced by the bin/ scripts (and by bin/app when .venv is missing): puts pipenv and the locked dependencies in
# place, idempotently.
# Needs Python 3.11; everything else comes from Pipfile.lock into ./.venv.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PIPENV_VERSION_PINNED="2026.10.3"
export PIPENV_VENV_IN_PROJECT=1 PIPENV_NOSPIN=1 PIPENV_YES=1 PIPENV_VERBOSITY=-1
# jsii otherwise prints a Node 20 end-of-life banner on every run.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "error: Python 3.11 is required; $PYTHON is $("$PYTHON" --version 2>&1). Set PYTHON=/path/to/python3.11." >&2
  exit 2
fi
if ! "$PYTHON" -m pipenv --version 2>/dev/null | grep -q "$PIPENV_VERSION_PINNED"; then
  "$PYTHON" -m pip install --quiet --user "pipenv==$PIPENV_VERSION_PINNED" 2>/dev/null \
    || "$PYTHON" -m pip install --quiet "pipenv==$PIPENV_VERSION_PINNED"
fi
# pipenv through the interpreter, never from PATH: `pip install --user` puts its script in ~/.local/bin, which is
# often not on PATH.
pipenv() { "$PYTHON" -m pipenv "$@"; }
