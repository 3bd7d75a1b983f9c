#!/usr/bin/env bash
# Regenerates proto/src/generated/ from proto/schema/*.fbs with flatc 23.5.26.
#
# flatc is built from source by the `flatc` crate (it needs cmake and a C++ compiler:
# `apt-get install -y cmake`), in a throwaway cargo project, so the exact compiler version that
# matches the pinned `flatbuffers = "=23.5.26"` runtime is used on every machine. The generated
# code is committed: building Sluice never needs flatc or cmake, only changing the schema does.
set -euo pipefail

repo_root="$(cd "$(dirname "$0")/.." && pwd)"
schema_dir="$repo_root/proto/schema"
out_dir="$repo_root/proto/src/generated"
flatc_crate_version="=0.2.2+23.5.26"
flatc_version_expected="23.5.26"

command -v cmake >/dev/null || {
    echo "gen-proto: cmake is required to build flatc (apt-get install -y cmake)" >&2
    exit 1
}

work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT

# Reuse one target directory across runs so flatc is compiled only once per machine.
export CARGO_TARGET_DIR="${SLUICE_FLATC_TARGET_DIR:-${TMPDIR:-/tmp}/sluice-flatc-target}"

mkdir -p "$work_dir/src"
cat >"$work_dir/Cargo.toml" <<EOF
[package]
name = "sluice-flatc-locator"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
flatc = "$flatc_crate_version"

[workspace]
EOF
cat >"$work_dir/src/main.rs" <<'EOF'
fn main() {
    println!("{}", flatc::flatc().display());
}
EOF

flatc_bin="$(cargo run --quiet --release --manifest-path "$work_dir/Cargo.toml")"
[[ -x "$flatc_bin" ]] || {
    echo "gen-proto: flatc binary not found at '$flatc_bin'" >&2
    exit 1
}

flatc_version="$("$flatc_bin" --version)"
[[ "$flatc_version" == *"$flatc_version_expected"* ]] || {
    echo "gen-proto: expected flatc $flatc_version_expected, got '$flatc_version'" >&2
    exit 1
}

# Generate into a scratch directory first so a failing flatc run never leaves a half-written
# tree behind; mod.rs (hand-written, holds the lint allowances) is kept.
gen_dir="$work_dir/generated"
mkdir -p "$gen_dir"
"$flatc_bin" --rust -o "$gen_dir" "$schema_dir"/*.fbs

shopt -s nullglob
for old in "$out_dir"/*_generated.rs; do
    rm -- "$old"
done
cp "$gen_dir"/*_generated.rs "$out_dir"/
echo "gen-proto: regenerated $(ls "$gen_dir") with $flatc_version into $out_dir"
