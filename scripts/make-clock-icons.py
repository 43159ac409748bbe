#!/usr/bin/env python3
"""Draws the mobile clock's PNG icons (crates/web/clock/icon-*.png) with the standard library
only: a white clock face with dark hands on the app's blue. Run it again after changing it;
its output is committed, so the build needs nothing but the files."""
import math
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "crates" / "web" / "clock"
BLUE = (0x0B, 0x3D, 0x91)
WHITE = (0xFF, 0xFF, 0xFF)
INK = (0x10, 0x18, 0x28)
ORANGE = (0xFF, 0xB0, 0x00)


def segment_distance(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def colour_at(x, y, face_radius):
    """The colour of the point (x, y) in a unit square centred on (0, 0)."""
    r = math.hypot(x, y)
    if r > face_radius:
        return BLUE
    if r > face_radius * 0.9:
        return ORANGE
    for hour in range(12):
        angle = hour * math.pi / 6
        ux, uy = math.sin(angle), -math.cos(angle)
        if segment_distance(x, y, ux * face_radius * 0.72, uy * face_radius * 0.72, ux * face_radius * 0.82, uy * face_radius * 0.82) < face_radius * 0.03:
            return INK
    # Hands at ten past ten, as clocks are photographed.
    if segment_distance(x, y, 0, 0, -face_radius * 0.42, -face_radius * 0.22) < face_radius * 0.06:
        return INK
    if segment_distance(x, y, 0, 0, face_radius * 0.45, -face_radius * 0.5) < face_radius * 0.045:
        return INK
    return WHITE


def draw(size, face_radius, path):
    samples = 3  # supersampling for smooth edges
    rows = []
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            acc = [0, 0, 0]
            for sj in range(samples):
                for si in range(samples):
                    x = (i + (si + 0.5) / samples) / size - 0.5
                    y = (j + (sj + 0.5) / samples) / size - 0.5
                    c = colour_at(x, y, face_radius)
                    acc = [a + b for a, b in zip(acc, c)]
            row.extend(round(a / samples**2) for a in acc)
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    path.write_bytes(png)


if __name__ == "__main__":
    draw(192, 0.42, OUT / "icon-192.png")
    draw(512, 0.42, OUT / "icon-512.png")
    # Maskable: the face stays inside the safe zone (a circle of 40% radius).
    draw(512, 0.34, OUT / "icon-maskable-512.png")
