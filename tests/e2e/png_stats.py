"""png_stats.py FILE.png: prints "WIDTH HEIGHT NONWHITE_PERCENT COLOURS RIGHTMOST" for an 8-bit RGB/RGBA,
non-interlaced PNG (what headless Chromium writes for --screenshot). Standard library only, so
the e2e tests can run it in any pymatrix image. NONWHITE_PERCENT: pixels that are not
(near-)white; COLOURS: distinct RGB values (a blank page has 1); RIGHTMOST: the largest x of a
not (near-)white pixel (-1 if none): what a page drew closest to its right edge."""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        sys.exit(f"{path}: unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def main():
    width, height, bpp, rows = decode(sys.argv[1])
    nonwhite, colours, rightmost = 0, set(), -1
    for line in rows:
        for x in range(0, len(line), bpp):
            rgb = bytes(line[x:x + 3])
            colours.add(rgb)
            if min(rgb) < 235:
                nonwhite += 1
                rightmost = max(rightmost, x // bpp)
    print(width, height, f"{100.0 * nonwhite / (width * height):.2f}", len(colours), rightmost)


if __name__ == "__main__":
    main()
