#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# A second, independent replay of PCR 10 (hashlib) for the unit tests:
# prints "<bank> <hex>" for sha1, sha256, sha384, sha512 of a binary list.
import hashlib
import struct
import sys

data = open(sys.argv[1], "rb").read()
banks = ["sha1", "sha256", "sha384", "sha512"]
pcr = {b: bytes(hashlib.new(b).digest_size) for b in banks}
pos = 0
while pos < len(data):
    idx, = struct.unpack_from("<I", data, pos)
    tdigest = data[pos + 4:pos + 24]
    nlen, = struct.unpack_from("<I", data, pos + 24)
    name = data[pos + 28:pos + 28 + nlen].decode()
    pos += 28 + nlen
    if name == "ima":
        flen, = struct.unpack_from("<I", data, pos + 20)
        hashed = data[pos:pos + 20] + data[pos + 24:pos + 24 + flen].ljust(256, b"\0")
        pos += 24 + flen
    else:
        dlen, = struct.unpack_from("<I", data, pos)
        hashed = data[pos + 4:pos + 4 + dlen]
        pos += 4 + dlen
    if idx != 10:
        continue
    for b in banks:
        size = hashlib.new(b).digest_size
        if tdigest == bytes(20):
            d = b"\xff" * size
        elif b == "sha1":
            d = tdigest
        else:
            d = hashlib.new(b, hashed).digest()
        pcr[b] = hashlib.new(b, pcr[b] + d).digest()
for b in banks:
    print(b, pcr[b].hex())
