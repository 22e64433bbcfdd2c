#!/usr/bin/env python3
"""Print a deb822 source for bookworm-backports derived from the machine's own Debian entry.

`make deps` needs Suricata 7, which Debian 12 ships only in bookworm-backports. The mirror is not
typed here: the first stanza of the given sources file whose Suites name `bookworm` supplies the
URIs and Signed-By, and only the suite changes (sources.list(5), deb822 format).
"""
import sys


def stanzas(text):
    block = []
    for line in text.splitlines():
        if not line.strip():
            if block:
                yield block
            block = []
        elif not line.lstrip().startswith('#'):
            block.append(line)
    if block:
        yield block


def main(path):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    for block in stanzas(text):
        fields = {}
        for line in block:
            key, _, value = line.partition(':')
            fields[key.strip()] = value.strip()
        if 'bookworm' in fields.get('Suites', '').split():
            out = [f"Types: {fields.get('Types', 'deb')}", f"URIs: {fields['URIs']}",
                   'Suites: bookworm-backports', f"Components: {fields.get('Components', 'main')}"]
            if 'Signed-By' in fields:
                out.append(f"Signed-By: {fields['Signed-By']}")
            print('\n'.join(out))
            return 0
    sys.stderr.write(f'backports_source: no stanza with suite bookworm in {path}\n')
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else '/etc/apt/sources.list.d/debian.sources'))
