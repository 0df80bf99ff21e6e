#!/usr/bin/env bash
# The house's figures (ARCHITECTURE.md): the Server front door's methods, the largest source
# files without their unit tests, and the core's layer check. `scripts/house-figures.sh REV`
# counts the methods at another commit too.
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:-HEAD}"

# Methods inside `impl Server` blocks (the front door), public and all.
git ls-tree -r --name-only "$rev" crates/scpanel-core/src | grep '\.rs$' | while read -r f; do
  git show "$rev:$f" | awk '
    /^impl (crate::handle::|crate::)?Server \{/ { inside = 1; next }
    inside && /^}/ { inside = 0 }
    inside && /^    pub (async )?fn / { pub++ }
    inside && /^    (pub(\(crate\)|\(super\))? )?(async )?fn / { all++ }
    END { printf "%d %d\n", pub, all }'
done | awk '{ p += $1; a += $2 } END { printf "Server at '"$rev"': %d public methods, %d in all\n", p, a }'

echo "largest files (lines before their unit tests, whole file):"
git ls-tree -r --name-only "$rev" src crates/scpanel-core/src | grep '\.rs$' | while read -r f; do
  git show "$rev:$f" | awk -v f="$f" '
    prev == "#[cfg(test)]" && /^mod / && !cut { cut = NR - 2 }
    { prev = $0 }
    END { printf "%6d %6d %s\n", (cut ? cut : NR), NR, f }'
done | sort -rn | head -8

if [ "$rev" = HEAD ] && [ -z "${NO_CHECK:-}" ]; then
  cargo test -q -p scpanel-core --test suite layers:: 2>&1 | grep -E "test result|panicked|names crate|comes back"
fi
