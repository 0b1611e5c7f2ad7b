#!/usr/bin/env bash
# Installs the Debian bookworm packages delivsim needs, only those missing.
# Used by every make target; safe to run again.
set -euo pipefail

packages=(
  g++ cmake make
  nlohmann-json3-dev librandom123-dev zlib1g-dev libeigen3-dev libcli11-dev doctest-dev libbenchmark-dev
  libpsl-dev publicsuffix pkgconf
  pybind11-dev python3-pybind11 python3-dev python3-venv python3-pip python3-setuptools python3-wheel
  python3-numpy python3-pandas python3-pytest python3-jsonschema python3-scipy
  python3-matplotlib python3-tqdm python3-nbclient python3-nbformat python3-ipykernel python3-distributed mypy
  jupyter-notebook python3-ipywidgets python3-nbconvert python3-xarray python3-sphinx
  chromium chromium-driver python3-selenium
  clang clang-14 libclang-rt-14-dev llvm-14
  # validation/: real mail software run from private directories on loopback (never as a
  # system service), and safe XML for delivsim.ingest.
  postfix postgrey rspamd redis-server python3-defusedxml python3-hypothesis python3-lxml
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "bootstrap: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# Postfix must not become the system's mail service: no configuration, and no daemon started
# by the packages' scripts (a temporary policy-rc.d refuses every start, unless one exists).
echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
own_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod 755 /usr/sbin/policy-rc.d
  own_policy=1
fi
cleanup() { [ -z "$own_policy" ] || $sudo rm -f /usr/sbin/policy-rc.d; }
trap cleanup EXIT
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
# Where a package just installed here started its daemon anyway (systemd ignores
# policy-rc.d), stop and disable it; services installed before are left alone.
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  for p in "${missing[@]}"; do
    case "$p" in postfix|postgrey|rspamd|redis-server) $sudo systemctl disable --now "$p" >/dev/null 2>&1 || true ;; esac
  done
fi
