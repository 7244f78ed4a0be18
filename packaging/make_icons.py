"""Render the app icon (resources/icons/vlab.svg) into the formats installers need.

Writes into ``packaging/icons/`` (never into ``resources/``, which is copied verbatim into
wheels and bundles):

* ``hicolor/<N>x<N>/apps/vlab.png`` for N in 16 ... 512 (Linux icon theme, the .deb);
* ``vlab.ico``  (Windows: 16-256 px, PNG-compressed entries, readable since Windows Vista);
* ``vlab.icns`` (macOS: 16-1024 px, PNG entries) and ``vlab.iconset/`` — the same images
  named for Apple's ``iconutil -c icns vlab.iconset``, should a maintainer prefer to make
  the .icns with Apple's own tool.

Only PySide6 (QtSvg) from vlab's own environment is used; the ICO and ICNS containers are
written here in a few lines of ``struct`` code.

Usage: ``python packaging/make_icons.py [--out DIR]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "vlab.svg"
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS element types holding PNG data, by pixel size (several types share a size)
ICNS_TYPES = (
    (b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256),
    (b"ic09", 512), (b"ic10", 1024), (b"ic11", 32), (b"ic12", 64), (b"ic13", 256),
    (b"ic14", 512),
)  # fmt: skip
ICONSET = (  # iconutil file name, size
    ("icon_16x16.png", 16), ("icon_16x16@2x.png", 32), ("icon_32x32.png", 32),
    ("icon_32x32@2x.png", 64), ("icon_128x128.png", 128), ("icon_128x128@2x.png", 256),
    ("icon_256x256.png", 256), ("icon_256x256@2x.png", 512), ("icon_512x512.png", 512),
    ("icon_512x512@2x.png", 1024),
)  # fmt: skip


def render(renderer: QSvgRenderer, size: int) -> QImage:
    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(p)
    p.end()
    return img


def png_bytes(img: QImage) -> bytes:
    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not img.save(buf, "PNG"):
        raise RuntimeError("Qt could not encode a PNG")
    buf.close()
    return bytes(ba.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file whose entries are PNG streams (size byte 0 means 256)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    entries, data = b"", b""
    for s in sizes:
        blob = pngs[s]
        entries += struct.pack("<BBBBHHII", s % 256, s % 256, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
        data += blob
    return header + entries + data


def icns(pngs: dict[int, bytes]) -> bytes:
    body = b"".join(
        t + struct.pack(">I", 8 + len(pngs[s])) + pngs[s] for t, s in ICNS_TYPES if s in pngs
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "packaging" / "icons")
    args = ap.parse_args(argv)
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot render {SVG}", file=sys.stderr)
        return 1
    sizes = sorted(set(HICOLOR_SIZES) | set(ICO_SIZES) | {s for _, s in ICNS_TYPES})
    pngs = {s: png_bytes(render(renderer, s)) for s in sizes}

    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    for s in HICOLOR_SIZES:
        d = out / "hicolor" / f"{s}x{s}" / "apps"
        d.mkdir(parents=True)
        (d / "vlab.png").write_bytes(pngs[s])
    d = out / "hicolor" / "scalable" / "apps"
    d.mkdir(parents=True)
    shutil.copyfile(SVG, d / "vlab.svg")
    (out / "vlab.ico").write_bytes(ico({s: pngs[s] for s in ICO_SIZES}))
    (out / "vlab.icns").write_bytes(icns(pngs))
    iconset = out / "vlab.iconset"
    iconset.mkdir()
    for name, s in ICONSET:
        (iconset / name).write_bytes(pngs[s])
    (out / "vlab.png").write_bytes(pngs[256])
    n = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"make_icons: wrote {n} files to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
