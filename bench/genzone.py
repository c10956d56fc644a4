#!/usr/bin/env python3
"""Writes a realistic test zone of N names to stdout.

Mix per name: A (45%), AAAA (20%), MX (10%), TXT (15%), delegation with glue (10%; a third of
them secure, with DS). Every 1000th name is a wildcard, every 500th sits below an empty
non-terminal. Deterministic for a given N and seed, so every tool signs the same zone.

usage: genzone.py ORIGIN N [SEED] > zone
"""
import random
import sys


def main():
    origin = sys.argv[1].rstrip(".") + "."
    count = int(sys.argv[2])
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    out = sys.stdout
    out.write(f"$ORIGIN {origin}\n$TTL 3600\n")
    out.write(f"@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n")
    out.write("@ IN NS ns1\n@ IN NS ns2\nns1 IN A 192.0.2.1\nns2 IN A 192.0.2.2\n")
    for i in range(count):
        name = f"h{i:07d}"
        if i % 1000 == 999:
            name = f"*.w{i:07d}"
        elif i % 500 == 499:
            name = f"x.e{i:07d}"
        roll = rnd.random()
        if roll < 0.45:
            out.write(f"{name} IN A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n")
        elif roll < 0.65:
            out.write(f"{name} IN AAAA 2001:db8::{i >> 16:x}:{i & 0xffff:x}\n")
        elif roll < 0.75:
            out.write(f"{name} IN MX 10 mail{i % 7}.example.net.\n")
        elif roll < 0.90:
            out.write(f'{name} IN TXT "v=spf1 ip4:10.{i >> 8 & 255}.{i & 255}.0/24 -all"\n')
        elif name.startswith("h"):
            out.write(f"{name} IN NS ns.{name}\n{name} IN NS ns.example.net.\n")
            out.write(f"ns.{name} IN A 198.51.{i >> 8 & 255}.{i & 255}\n")
            if rnd.random() < 0.33:
                digest = "".join(rnd.choice("0123456789ABCDEF") for _ in range(64))
                out.write(f"{name} IN DS {rnd.randint(1, 65535)} 13 2 {digest}\n")
        else:
            out.write(f"{name} IN A 10.0.0.1\n")


if __name__ == "__main__":
    main()
