#!/usr/bin/env bash
# Makes assets/fonts/scpanel-icons.ttf: the glyphs of Phosphor Regular (MIT, by Helena Zhang
# and Tobias Fried, https://phosphoricons.com) that src/gui/icons.rs names, and nothing else.
# The codepoints are read from icons.rs, the one list; the font comes from the egui-phosphor
# crate's copy in cargo's registry (`cargo info egui-phosphor` fetches it).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import fontTools' 2>/dev/null || pip install --quiet fonttools
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/egui-phosphor-0.14.0/res/Phosphor.ttf 2>/dev/null | head -1)
[ -n "$src" ] || { cargo info egui-phosphor@0.14.0 >/dev/null; src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/egui-phosphor-0.14.0/res/Phosphor.ttf | head -1); }
codes=$(grep -o '\\u{E[0-9A-F]*}' src/gui/icons.rs | tr -d '\\u{}' | sort -u | paste -sd, -)
python3 -m fontTools.subset "$src" --unicodes="$codes" --no-hinting --desubroutinize \
  --layout-features='' --output-file=assets/fonts/scpanel-icons.ttf
echo "assets/fonts/scpanel-icons.ttf: $codes ($(stat -c %s assets/fonts/scpanel-icons.ttf) bytes)"
