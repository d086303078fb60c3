#!/usr/bin/env python3
# check-names.py DB.xml DECODE.jsonl [DOMAIN]
# An oracle independent of libmtregdb: reads the registers of a flat rnndb
# domain (reg8..reg64 with length/stride, one level of <array>) with Python's
# XML parser and checks that `mmiotap decode --format jsonl` named every
# access that falls in one of them, with the right name, and left the others
# unnamed. Prints "named N, unnamed M"; exit 1 on any mismatch.
import json, sys, xml.etree.ElementTree as ET

def num(s):
    return int(s, 0)

def tag(e):
    return e.tag.split('}')[-1]

def regs_of(parent, base, prefix, out):
    for e in parent:
        t = tag(e)
        if t in ('reg8', 'reg16', 'reg32', 'reg64'):
            size = int(t[3:]) // 8
            n = num(e.get('length', '1'))
            stride = num(e.get('stride', str(size)))
            for i in range(n):
                name = prefix + e.get('name') + ('[0x%x]' % i if n > 1 else '')
                out.append((base + num(e.get('offset')) + i * stride, size, name))
        elif t == 'array':
            n = num(e.get('length'))
            for i in range(n):
                regs_of(e, base + num(e.get('offset')) + i * num(e.get('stride')),
                        prefix + e.get('name') + ('[0x%x].' % i if n > 1 else '.'), out)

root = ET.parse(sys.argv[1]).getroot()
doms = [d for d in root if tag(d) == 'domain']
dom = doms[0] if len(sys.argv) < 4 else [d for d in doms if d.get('name') == sys.argv[3]][0]
regs = []
regs_of(dom, 0, '', regs)
named = unnamed = bad = 0
for line in open(sys.argv[2]):
    a = json.loads(line)
    if a['kind'] not in ('R', 'W') or a['domain'] != dom.get('name'):
        continue
    off = int(a['offset'], 16)
    want = None
    for (o, sz, name) in regs:
        if o <= off < o + sz:
            want = name if off == o else '%s+0x%x' % (name, off - o)
            break
    if a['reg'] != want:
        bad += 1
        if bad < 10:
            print('MISMATCH seq %s offset %#x: decode says %r, the database %r' %
                  (a['seq'], off, a['reg'], want))
    elif want:
        named += 1
    else:
        unnamed += 1
print('named %d, unnamed %d, mismatches %d' % (named, unnamed, bad))
sys.exit(1 if bad or not named else 0)
