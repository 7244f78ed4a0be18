#!/usr/bin/env bash
# Build vlab's Linux desktop bundle, tarball and .deb, then smoke-test the bundle.
#
#   packaging/build.sh            # from anywhere; uses <repo>/.venv/bin/python
#
# Produces (see packaging/README.md):
#   dist/vlab/                                 PyInstaller one-folder bundle (dist/vlab/vlab)
#   dist/vlab-<version>-linux-x86_64.tar.gz    the bundle for other distributions
#   dist/vlab_<version>_amd64.deb              /opt/vlab, /usr/bin/vlab, menu entry, icons
#
# Environment knobs:
#   VLAB_PYTHON=/path/to/python   interpreter whose environment is bundled (default .venv)
#   DEB_COMPRESSION=zstd|gzip|xz  .deb compression (default zstd: ~1 s; xz is smallest, ~2 min)
#   SKIP_SMOKE=1                  do not run the bundle's --smoke-test at the end
set -euo pipefail

PYINSTALLER_VERSION=6.22.3
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${VLAB_PYTHON:-$ROOT/.venv/bin/python}"
DEB_COMPRESSION="${DEB_COMPRESSION:-zstd}"
t_start=$(date +%s)
step() { printf '\n==> %s (%ds)\n' "$*" $(($(date +%s) - t_start)); }

[ -x "$PY" ] || { echo "no Python at $PY (create the venv: python3 -m venv .venv && .venv/bin/pip install -e '.[packaging]')" >&2; exit 1; }
VERSION="$("$PY" -c 'import vlab; print(vlab.__version__)')"
ARCH_DEB=amd64
ARCH_TAR=linux-x86_64
[ "$(uname -m)" = x86_64 ] || { ARCH_DEB="$(dpkg --print-architecture)"; ARCH_TAR="linux-$(uname -m)"; }

step "vlab $VERSION: checking build tools"
if ! "$PY" -c "import PyInstaller, sys; sys.exit(PyInstaller.__version__ != '$PYINSTALLER_VERSION')" 2>/dev/null; then
    "$PY" -m pip install --quiet "pyinstaller==$PYINSTALLER_VERSION"
fi
if ! command -v desktop-file-validate >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get install -y -q desktop-file-utils >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q desktop-file-utils >/dev/null; }
    else
        echo "desktop-file-validate missing: sudo apt-get install desktop-file-utils" >&2; exit 1
    fi
fi
desktop-file-validate packaging/linux/vlab.desktop

step "icons and licence list"
"$PY" packaging/make_icons.py
"$PY" packaging/collect_licenses.py

step "PyInstaller one-folder bundle"
rm -rf dist/vlab
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/vlab.spec
[ -x dist/vlab/vlab ] && [ -d dist/vlab/_internal/resources ]
echo "bundle: $(du -sh dist/vlab | cut -f1)"

step "tar.gz"
TARBALL="dist/vlab-$VERSION-$ARCH_TAR.tar.gz"
if command -v pigz >/dev/null; then GZ=pigz; else GZ=gzip; fi
tar --owner=0 --group=0 --numeric-owner -C dist -cf - vlab | "$GZ" -6 > "$TARBALL"
echo "$TARBALL: $(du -h "$TARBALL" | cut -f1)"

step ".deb"
DEBROOT=build/deb/root
rm -rf build/deb && mkdir -p "$DEBROOT/DEBIAN" "$DEBROOT/opt" "$DEBROOT/usr/bin" \
    "$DEBROOT/usr/share/applications" "$DEBROOT/usr/share/icons" "$DEBROOT/usr/share/doc/vlab"
cp -a dist/vlab "$DEBROOT/opt/vlab"
ln -s /opt/vlab/vlab "$DEBROOT/usr/bin/vlab"
install -m 644 packaging/linux/vlab.desktop "$DEBROOT/usr/share/applications/vlab.desktop"
cp -r packaging/icons/hicolor "$DEBROOT/usr/share/icons/hicolor"
install -m 644 LICENSE "$DEBROOT/usr/share/doc/vlab/copyright"
install -m 644 resources/licenses/THIRD_PARTY_LICENSES.md "$DEBROOT/usr/share/doc/vlab/THIRD_PARTY_LICENSES.md"
find "$DEBROOT" -type d -exec chmod 755 {} +
INSTALLED_KB=$(du -sk --exclude=DEBIAN "$DEBROOT" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH_DEB/" -e "s/@INSTALLED_SIZE@/$INSTALLED_KB/" \
    packaging/linux/control.in > "$DEBROOT/DEBIAN/control"
# postinst compiles the kernels into /opt/vlab's install-time cache; prerm deletes it
install -m 755 packaging/linux/postinst packaging/linux/prerm "$DEBROOT/DEBIAN/"
DEB="dist/vlab_${VERSION}_${ARCH_DEB}.deb"
dpkg-deb --build --root-owner-group -Z"$DEB_COMPRESSION" "$DEBROOT" "$DEB" >/dev/null
echo "$DEB: $(du -h "$DEB" | cut -f1)"

if [ -z "${SKIP_SMOKE:-}" ]; then
    step "smoke test of the bundle (offscreen)"
    # A fresh cache folder: this is a first start, numba compiles the kernel.
    SMOKE_HOME="$(mktemp -d)"
    trap 'rm -rf "$SMOKE_HOME"' EXIT
    XDG_CACHE_HOME="$SMOKE_HOME/cache" XDG_CONFIG_HOME="$SMOKE_HOME/config" \
    XDG_DATA_HOME="$SMOKE_HOME/data" QT_QPA_PLATFORM=offscreen \
        timeout 120 dist/vlab/vlab --smoke-test
    echo "smoke test: OK"
fi

step "done"
ls -la dist/ | grep -E "vlab" || true
