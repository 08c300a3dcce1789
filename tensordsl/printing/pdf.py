"""A PNG wrapped as a one-page PDF, for renderers with no PDF output (graphviz-pure).

Only what Graphviz writes is supported: 8-bit, non-interlaced, RGB/RGBA/grey PNGs.
Pixels are decoded (PNG row filters undone), composited on white and stored as a
Flate-compressed RGB image on a page of the picture's size (72 dpi).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type -> samples per pixel


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; ValueError if it is not a PNG."""
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file (bad signature or first chunk)")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _chunks(data: bytes):
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, data[pos + 8:pos + 8 + length]
        pos += 12 + length


def decode_png(data: bytes) -> np.ndarray:
    """The pixels of an 8-bit non-interlaced PNG as a (height, width, channels) uint8 array."""
    width, height = png_size(data)
    header = dict(_chunks(data))[b"IHDR"]
    bit_depth, colour, _, _, interlace = header[8:13]
    if bit_depth != 8 or colour not in _CHANNELS or interlace:
        raise ValueError(f"unsupported PNG (bit depth {bit_depth}, colour type {colour}, "
                         f"interlace {interlace})")
    channels = _CHANNELS[colour]
    raw = zlib.decompress(b"".join(body for kind, body in _chunks(data) if kind == b"IDAT"))
    stride = width * channels
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        out[y] = _unfilter(rows[y, 0], rows[y, 1:], previous, channels)
        previous = out[y]
    return out.reshape(height, width, channels)


def _unfilter(kind: int, line: np.ndarray, up: np.ndarray, bpp: int) -> np.ndarray:
    if kind == 0:
        return line
    if kind == 2:
        return line + up  # uint8 arithmetic wraps modulo 256, as PNG requires
    if kind == 1:  # Sub: a running sum per channel
        per_channel = line.reshape(-1, bpp)
        return np.cumsum(per_channel, axis=0, dtype=np.uint8).reshape(-1)
    result = np.zeros_like(line)
    cur = line.astype(np.int32)
    above = up.astype(np.int32)
    for i in range(len(line)):  # Average and Paeth depend on the pixel just decoded
        left = int(result[i - bpp]) if i >= bpp else 0
        if kind == 3:
            value = cur[i] + (left + above[i]) // 2
        elif kind == 4:
            upper_left = int(above[i - bpp]) if i >= bpp else 0
            value = cur[i] + _paeth(left, int(above[i]), upper_left)
        else:
            raise ValueError(f"bad PNG filter type {kind}")
        result[i] = value & 0xFF
    return result


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def png_to_pdf(data: bytes) -> bytes:
    """A one-page PDF showing the PNG image `data` at 72 dpi."""
    pixels = decode_png(data).astype(np.float64)
    channels = pixels.shape[2]
    if channels in (2, 4):  # composite on white
        alpha = pixels[..., -1:] / 255.0
        pixels = pixels[..., :-1] * alpha + 255.0 * (1.0 - alpha)
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    rgb = np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
    height, width = rgb.shape[:2]
    image = zlib.compress(rgb.tobytes())
    content = f"q {width} 0 0 {height} 0 0 cm /Im0 Do Q".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
         f"/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>").encode("ascii"),
        (f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} "
         f"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode "
         f"/Length {len(image)} >>\nstream\n").encode("ascii") + image + b"\nendstream",
        f"<< /Length {len(content)} >>\nstream\n".encode("ascii") + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode("ascii")
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            f"%%EOF\n").encode("ascii")
    return bytes(out)
