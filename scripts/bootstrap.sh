#!/usr/bin/env bash
# Installs the Debian bookworm packages delivsim needs, only those missing.
# Used by every make target; safe to run again.
set -euo pipefail

packages=(
  g++ cmake make
  nlohmann-json3-dev librandom123-dev libeigen3-dev libcli11-dev doctest-dev libbenchmark-dev
  pybind11-dev python3-pybind11 python3-dev python3-venv python3-pip python3-setuptools python3-wheel
  python3-numpy python3-pandas python3-pytest python3-jsonschema python3-scipy
  python3-matplotlib python3-tqdm python3-nbclient python3-nbformat python3-ipykernel python3-distributed mypy
  jupyter-notebook python3-ipywidgets python3-nbconvert python3-xarray python3-sphinx
  chromium chromium-driver python3-selenium
  clang clang-14 libclang-rt-14-dev llvm-14
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
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
