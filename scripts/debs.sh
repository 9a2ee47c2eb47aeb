# debs.sh — sourced by the test scripts: need_debs PKG... makes sure the
# Debian packages are installed. Missing ones are installed when we are root
# with apt-get; otherwise it prints the apt-get command that would install
# them and returns 1, leaving the caller to fail or skip.
need_debs() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing ${missing[*]}"
    # Explicit returns: set -e does not apply inside `need_debs ... || exit 1`.
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null || return 1
    return 0
  fi
  echo "missing Debian packages; install them with:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  return 1
}
