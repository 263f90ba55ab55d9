#!/usr/bin/env python3
"""metrics.py - metrics.sh's client: HTTP requests, raw bytes, and the
/metrics page checked by a real parser (python3-prometheus-client's) plus
the naming rules promtool's "check metrics" lints (client_golang's
promlint): HELP and TYPE for every family, counters ending in _total and
nothing else so, _count/_sum/_bucket only in histograms, snake_case, base
units, no type in a name.  And asyncd's own rules: no pid label, per-worker
series labelled worker="N", never beside an unlabelled one of the same
family, cumulative buckets whose +Inf is _count.

  metrics.py get URL                  prints the status
  metrics.py raw PORT BYTES            sends BYTES (\\r\\n escapes), prints
                                       the status line of the answer
  metrics.py scrape URL OUT           parses, lints, writes "series value"
                                       lines to OUT; exit 1 on a problem
  metrics.py value FILE SERIES        prints the value (0 when absent)
  metrics.py mono OLD NEW             every counter of OLD is in NEW, and
                                       not smaller
  metrics.py pids URL                 the worker pids /stats names
"""
import json
import re
import socket
import sys
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


NAME = re.compile(r'^[a-z_][a-z0-9_]*$')
# promlint's lintMetricUnits and lintUnitAbbreviations, in short.
NOT_BASE = re.compile(r'(^|_)(milli|micro|nano|kilo|mega|giga)?'
                      r'(seconds?|bytes?)(_|$)')
ABBREV = re.compile(r'(^|_)(ms|us|ns|sec|secs|kb|mb|gb|b|s|pct|'
                    r'percent)(_|$)')


def lint(text):
    problems = []
    helps, types = {}, {}
    for line in text.splitlines():
        m = re.match(r'^# (HELP|TYPE) (\S+) ?(.*)$', line)
        if m:
            (helps if m.group(1) == 'HELP' else types)[m.group(2)] = \
                m.group(3)
    for name, typ in types.items():
        if not helps.get(name):
            problems.append('%s: no help text' % name)
        if not NAME.match(name):
            problems.append('%s: not snake_case' % name)
        if typ == 'counter' and not name.endswith('_total'):
            problems.append('%s: counter without _total' % name)
        if typ != 'counter' and name.endswith('_total'):
            problems.append('%s: _total on a %s' % (name, typ))
        if typ not in ('histogram', 'summary') and re.search(
                r'_(count|sum|bucket)$', name):
            problems.append('%s: reserved suffix on a %s' % (name, typ))
        for word in ('counter', 'gauge', 'histogram', 'summary'):
            if word in name.split('_'):
                problems.append('%s: type %s in the name' % (name, word))
        m = NOT_BASE.search(name)
        if m and m.group(2):
            problems.append('%s: not a base unit' % name)
        if ABBREV.search(name):
            problems.append('%s: abbreviated unit' % name)
    series = {}
    fams = list(text_string_to_metric_families(text))
    for fam in fams:
        labelled = unlabelled = False
        for s in fam.samples:
            key = s.name + '{' + ','.join(
                '%s="%s"' % kv for kv in sorted(s.labels.items())) + '}'
            if key in series:
                problems.append('%s: duplicate series' % key)
            series[key] = s.value
            for label in s.labels:
                if not NAME.match(label):
                    problems.append('%s: label %s not snake_case' %
                                    (key, label))
            if 'pid' in s.labels:
                problems.append('%s: labelled by pid' % key)
            if 'worker' in s.labels:
                labelled = True
                if not re.match(r'^[1-9][0-9]*$', s.labels['worker']):
                    problems.append('%s: worker not a number' % key)
            else:
                unlabelled = True
        if labelled and unlabelled:
            problems.append('%s: a total beside per-worker series' %
                            fam.name)
        if fam.type == 'histogram':
            last = {}
            for s in fam.samples:
                w = s.labels.get('worker')
                if s.name.endswith('_bucket'):
                    if s.value < last.get(w, 0):
                        problems.append('%s: buckets not cumulative' %
                                        fam.name)
                    last[w] = s.value
                elif s.name.endswith('_count') and s.value != last.get(w):
                    problems.append('%s: +Inf is not _count' % fam.name)
    if not fams:
        problems.append('no metric at all')
    return series, problems


def main(argv):
    cmd = argv[1]
    if cmd == 'get':
        print(get(argv[2])[0])
    elif cmd == 'raw':
        data = argv[3].encode().decode('unicode_escape').encode('latin-1')
        with socket.create_connection(('127.0.0.1', int(argv[2])), 5) as c:
            c.settimeout(5)
            c.sendall(data)
            got = b''
            while b'\r\n' not in got:
                b = c.recv(4096)
                if not b:
                    break
                got += b
        print(got.split(b'\r\n')[0].decode())
    elif cmd == 'scrape':
        status, text = get(argv[2])
        if status != 200:
            print('GET %s: %d' % (argv[2], status))
            return 1
        series, problems = lint(text)
        with open(argv[3], 'w') as f:
            f.write(text)
        with open(argv[3] + '.series', 'w') as f:
            for k in sorted(series):
                f.write('%s %r\n' % (k, series[k]))
        for p in problems:
            print('lint: ' + p)
        return 1 if problems else 0
    elif cmd == 'value':
        want = argv[3]
        for line in open(argv[2] + '.series'):
            k, v = line.rsplit(' ', 1)
            if k == want:
                print(int(float(v)) if float(v).is_integer() else v)
                return 0
        print(0)
    elif cmd == 'mono':
        def load(p):
            return dict(l.rsplit(' ', 1) for l in
                        open(p + '.series').read().splitlines())
        old, new = load(argv[2]), load(argv[3])
        bad = 0
        for k, v in old.items():
            if not re.match(r'^asyncd_\w+(_total|_bucket|_count|_sum)\{', k):
                continue
            if k not in new:
                print('counter gone: %s (was %s)' % (k, v))
                bad = 1
            elif float(new[k]) < float(v):
                print('counter went back: %s %s -> %s' % (k, v, new[k]))
                bad = 1
        return bad
    elif cmd == 'pids':
        st = json.loads(get(argv[2])[1])
        print(' '.join(str(w['pid']) for w in st['per_worker']))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
