#!/usr/bin/env bash
# Mutation testing of the security-relevant modules of the Rust core (issue 13), with
# cargo-mutants: each mutant is a small deliberate breakage (a condition inverted, a check
# skipped, a function that returns a constant); the core's tests must fail on it.
#
#   tools/mutants.sh                 every group below, in order of security relevance
#   tools/mutants.sh policy cache    only those groups
#   tools/mutants.sh --list          the groups and their files
#
# Prints, per group and in total, the mutants caught / missed / timed out / unviable (did
# not build). A missed mutant listed in tools/mutants-equivalent.txt (with the reason it
# behaves exactly like the original) is counted as "equivalent"; any other missed mutant
# makes the command fail. Reports stay in $MUTANTS_OUT (default target/mutants/<group>/
# mutants.out: caught.txt, missed.txt, the log of each mutant's build and tests).
#
# Slow: one incremental build of the core per mutant (about 20 to 60 s each here). Not
# part of CI. It mutates a copy of the tree made by cargo-mutants, never this worktree.
# The LocalStack test is not run (it needs LocalStack; its logic is in the unit tests).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# CARGO_MUTANTS_VERSION, pinned: mutant names and counts change between versions.
# shellcheck source=pins.sh
source "$root/tools/pins.sh"
core=plugin/auth_awsiam/core
equivalent_list="$root/tools/mutants-equivalent.txt"

# group | files (relative to the core crate) | cargo test target arguments
groups=(
    "policy|src/policy.rs|--lib --test=jwt_policy"
    "cache|src/cache.rs src/auth.rs|--lib --test=ffi --test=throttled_line --test=success_line --test=refusal_lines"
    "token|src/token.rs src/request.rs|--lib"
    "sts-checks|src/sts/precheck.rs src/sts/freshness.rs src/sts/hosts.rs|--lib"
    "sts-reply|src/sts/reply.rs src/sts/exchange.rs|--lib"
    "identity|src/identity.rs|--lib"
    "config|src/config.rs|--lib --test=ffi"
    "ffi|src/ffi.rs src/ffi/challenge.rs src/ffi/convert.rs src/plugin.rs|--lib --test=ffi --test=ffi_panic --test=ffi_challenge --test=ffi_challenge_lifecycle --test=relearn --test=jwt_issuers_setting"
    "storm|src/sts/known.rs src/refusal_lines.rs|--lib --test=refusal_lines --test=sts_busy"
    "challenge|src/challenge/mod.rs src/challenge/login.rs src/challenge/answer.rs src/challenge/audience.rs src/channel.rs|--lib --test=ffi_challenge --test=ffi_challenge_lifecycle --test=ffi_panic"
    "mapping|src/mapping.rs src/pattern.rs src/glob.rs src/claim_rule.rs|--lib --test=jwt_policy"
    "server|src/server_identity.rs src/configured_endpoint.rs|--lib --test=relearn --test=region"
    "jwt|src/jwt/mod.rs src/jwt/compact.rs src/jwt/json.rs src/jwt/jwk.rs src/jwt/claims.rs src/jwt_config.rs|--lib --test=jwt_policy"
    "jwt-keys|src/jwt/issuers.rs src/jwt/issuers/fetch.rs src/jwt/issuers/refresher.rs|--lib --test=docs"
)

if [[ "${1:-}" == "--list" ]]; then
    for g in "${groups[@]}"; do
        IFS='|' read -r name files args <<<"$g"
        printf '%-11s %s  (tests: %s)\n' "$name" "$files" "$args"
    done
    exit 0
fi

installed=$(cargo mutants --version 2>/dev/null || true)
if [[ "$installed" != "cargo-mutants $CARGO_MUTANTS_VERSION" ]]; then
    echo "mutants: installing cargo-mutants $CARGO_MUTANTS_VERSION (found: ${installed:-none})"
    cargo install --locked "cargo-mutants@$CARGO_MUTANTS_VERSION"
fi

wanted=("$@")
out_base=${MUTANTS_OUT:-${CARGO_TARGET_DIR:-$root/target}/mutants}
mkdir -p "$out_base"
# Mutants are built in a target directory of their own, never the worktree's: cargo
# records a package's sources relative to the package, so the last mutant's build left in
# a shared directory can look fresh to the next ordinary `cargo test` of the worktree,
# which would then run a mutant. (Seed it with a copy of a target directory that already
# holds the dependencies to save the first, cold build.)
export CARGO_TARGET_DIR=${MUTANTS_TARGET_DIR:-$out_base/target}

# "src/x.rs:12:5: replace a with b in f" -> "src/x.rs: replace a with b in f": line numbers
# move with every edit; the file and the description name the mutant well enough.
strip_position() { sed -E 's/^([^:]+):[0-9]+:[0-9]+: /\1: /'; }

count() { [[ -f "$1" ]] && wc -l <"$1" | tr -d ' ' || echo 0; }

# Listed as "<file>: <description>  # reason": the name before two spaces and '#'.
declare -A equivalent_names=()
if [[ -f "$equivalent_list" ]]; then
    while IFS= read -r line; do
        name=${line%%  #*}
        [[ -z "$name" || "$name" == \#* ]] && continue
        equivalent_names[$name]=1
    done <"$equivalent_list"
fi

total_caught=0 total_missed=0 total_equivalent=0 total_timeout=0 total_unviable=0
unexplained=()
summary=()
for g in "${groups[@]}"; do
    IFS='|' read -r name files args <<<"$g"
    if ((${#wanted[@]})) && [[ " ${wanted[*]} " != *" $name "* ]]; then
        continue
    fi
    file_args=()
    for f in $files; do file_args+=(--file "$core/$f"); done
    # Given to the build as well as to the test run, so only these targets are built.
    target_args=()
    for a in $args; do target_args+=(--cargo-arg="$a"); done
    out="$out_base/$name"
    rm -rf "$out/mutants.out"
    mkdir -p "$out"
    echo "mutants: group $name: $files"
    # Exit status 2 (missed mutants) and 3 (timeouts) are results, read below.
    set +e
    # One job: parallel jobs sharing CARGO_TARGET_DIR would overwrite each other's test
    # binaries (cargo names them by package, not by source directory).
    (cd "$root" && nice cargo mutants --no-shuffle --package auth_awsiam_core --jobs 1 \
        "${file_args[@]}" "${target_args[@]}" --cargo-test-arg=--no-fail-fast \
        --output "$out" --timeout "${MUTANTS_TIMEOUT:-120}")
    rc=$?
    set -e
    if ((rc != 0 && rc != 2 && rc != 3)); then
        echo "mutants: cargo mutants failed in group $name (exit $rc)" >&2
        exit "$rc"
    fi
    dir="$out/mutants.out"
    caught=$(count "$dir/caught.txt")
    timeout=$(count "$dir/timeout.txt")
    unviable=$(count "$dir/unviable.txt")
    missed=0 equivalent=0
    if [[ -f "$dir/missed.txt" ]]; then
        while IFS= read -r m; do
            key=$(strip_position <<<"$m")
            if [[ -n "${equivalent_names[$key]:-}" ]]; then
                equivalent=$((equivalent + 1))
            else
                missed=$((missed + 1))
                unexplained+=("$m")
            fi
        done <"$dir/missed.txt"
    fi
    summary+=("$(printf '%-11s caught %4d  missed %3d  equivalent %3d  timeout %3d  unviable %3d' \
        "$name" "$caught" "$missed" "$equivalent" "$timeout" "$unviable")")
    total_caught=$((total_caught + caught)) total_missed=$((total_missed + missed))
    total_equivalent=$((total_equivalent + equivalent))
    total_timeout=$((total_timeout + timeout)) total_unviable=$((total_unviable + unviable))
done

echo
echo "mutants: results (reports in $out_base/<group>/mutants.out)"
printf '%s\n' "${summary[@]}"
printf '%-11s caught %4d  missed %3d  equivalent %3d  timeout %3d  unviable %3d\n' total \
    "$total_caught" "$total_missed" "$total_equivalent" "$total_timeout" "$total_unviable"
if ((${#unexplained[@]})); then
    echo
    echo "mutants: missed, neither killed by a test nor listed as equivalent in tools/mutants-equivalent.txt:"
    printf '  %s\n' "${unexplained[@]}"
    exit 2
fi
