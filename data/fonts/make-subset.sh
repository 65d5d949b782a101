#!/usr/bin/env bash
# Regenerates the shipped CJK font subset and its license file, on a fresh Debian machine too:
#   data/fonts/charset.txt               the character set (data/fonts/charset.py)
#   data/fonts/NotoSansSC-hedui-subset.ttf
#   data/fonts/OFL.txt
# Installs Debian's fonts-noto-cjk if missing and fontTools (pinned) into a venv under /tmp.
# Run as root (apt-get) from anywhere: bash data/fonts/make-subset.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# The versions the shipped files were made with; others work but may change the bytes.
NOTO_DEB_VERSION="1:20220127+repack1-1"
FONTTOOLS_VERSION="4.68.0"
SRC=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
COPYRIGHT=/usr/share/doc/fonts-noto-cjk/copyright

export DEBIAN_FRONTEND=noninteractive
if [ ! -f "$SRC" ] || [ ! -f "$COPYRIGHT" ]; then
  apt-get update -qq
  apt-get install -y -qq fonts-noto-cjk >/dev/null
fi
have="$(dpkg-query -W -f='${Version}' fonts-noto-cjk)"
if [ "$have" != "$NOTO_DEB_VERSION" ]; then
  echo "warning: fonts-noto-cjk is $have; the shipped subset was made from $NOTO_DEB_VERSION" >&2
fi

venv="${HEDUI_FONT_VENV:-/tmp/hedui-font-venv}"
if [ ! -x "$venv/bin/python" ]; then
  if ! python3 -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    apt-get update -qq
    apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$venv"
  fi
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check "fonttools==$FONTTOOLS_VERSION"

python3 "$here/charset.py"
"$venv/bin/python" "$here/subset.py" "$SRC" "$here/charset.txt" \
  "$here/NotoSansSC-hedui-subset.ttf" "$COPYRIGHT" "$here/OFL.txt"
ls -l "$here/NotoSansSC-hedui-subset.ttf"
sha256sum "$here/NotoSansSC-hedui-subset.ttf"
