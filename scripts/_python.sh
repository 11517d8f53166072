# Shared by scripts/demo and scripts/test: find Python 3.12 and prepare .venv.
# Sourced, not run; expects to be in the repository root.

find_python() {
    local want candidate
    want="$(cut -d. -f1,2 .python-version 2>/dev/null || echo 3.12)"
    for candidate in \
        "$(command -v pyenv >/dev/null 2>&1 && pyenv which python 2>/dev/null || true)" \
        "$(command -v "python$want" || true)" \
        "$(command -v python3 || true)"; do
        [ -n "$candidate" ] || continue
        if [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$want" ]; then
            echo "$candidate"
            return 0
        fi
    done
    echo "closeloop: Python $want is needed (see .python-version); install it, e.g. 'pyenv install $(cat .python-version 2>/dev/null || echo 3.12)'" >&2
    return 1
}

# prepare_venv EXTRAS: create .venv if absent and install the project into it, quietly.
prepare_venv() {
    local spec="."
    [ -n "${1:-}" ] && spec=".[$1]"
    if [ ! -x .venv/bin/python ]; then
        local python
        python="$(find_python)"
        "$python" -m venv .venv
    fi
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
}
