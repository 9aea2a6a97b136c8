#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The server's layers, as the build compiles them: a file of each folder of
server/ can include the headers of its own folder and of the layers below it,
and no other; the app's core sees the library's public headers only. A
type's private header (mira-audio-hub-private.h) is included by that type's
own aspect files (mira-audio-hub*.c) and by nothing else in server/.

Each check preprocesses a one-line file, '#include "HEADER"', with the
flags the build gives a real source file of the folder (read from
compile_commands.json), so it fails exactly when such a line in that folder
would.

    test-layers.py BUILD_DIR
"""

import json
import os
import shlex
import subprocess
import sys
import tempfile

# Who may include whom (CONTRIBUTING.md's table); '.' is MiraServer and the
# command line, which may include every layer.
RULE = {
    'base': [],
    'net': ['base'],
    'store': ['base'],
    'audio': ['base'],
    'speech': ['base', 'store', 'audio'],
    'events': ['base', 'net', 'store'],
    'live': ['base', 'net', 'store', 'audio', 'speech', 'events'],
    'api': ['base', 'store', 'audio', 'speech', 'events', 'live'],
    '.': ['base', 'net', 'store', 'audio', 'speech', 'events', 'live', 'api'],
}

# A header of each folder
HEADERS = {
    'base': 'mira-types.h',
    'net': 'mira-websocket.h',
    'store': 'mira-store.h',
    'audio': 'mira-scorer.h',
    'speech': 'mira-voice-persons.h',
    'events': 'mira-event-bus.h',
    'live': 'mira-audio-hub.h',
    'api': 'mira-api.h',
    '.': 'mira-server.h',
}

# What libmira_server_dep shows (server/include/meson.build), and some of
# what it must not
PUBLIC = ['mira-server.h', 'mira-server-thread.h', 'mira-types.h', 'mira-util.h',
          'mira-time.h', 'mira-transcriber.h', 'mira-transcriber-chain.h', 'mira-sphinx.h',
          'mira-llm.h']
PRIVATE = ['mira-api.h', 'mira-store.h', 'mira-db.h', 'mira-audio-hub.h', 'mira-event-bus.h',
           'mira-websocket.h', 'mira-scorer.h', 'mira-voice-persons.h']

# Arguments of a compile command that are about its source and its output
DROP_WITH_VALUE = {'-o', '-MQ', '-MF', '-MT'}
DROP = {'-c', '-MD', '-MMD'}


def flags_of(entry):
    """The compile command of @entry, without its source and outputs."""
    args = shlex.split(entry['command'])
    kept = [args[0]]
    skip = False
    for arg in args[1:]:
        if skip:
            skip = False
        elif arg in DROP_WITH_VALUE:
            skip = True
        elif arg in DROP or arg == entry['file'] or arg.startswith('-fdiagnostics-color'):
            continue
        else:
            kept.append(arg)
    return kept


def folder_of(path):
    """The folder of server/ that @path (as in compile_commands.json) is in,
    'app/core' for the app's core, or None."""
    parts = os.path.normpath(path).split(os.sep)
    if 'server' in parts:
        rest = parts[parts.index('server') + 1:]
        if len(rest) == 1:
            return '.'
        if rest[0] in RULE:
            return rest[0]
    if 'app' in parts and parts[parts.index('app') + 1:][:1] == ['core']:
        return 'app/core'
    return None


def private_includes(entries):
    """For every private header of server/: (header, the server's files
    that include it), read from the sources the build compiles and the
    headers beside them."""
    files = set()
    for entry in entries:
        path = os.path.normpath(os.path.join(entry['directory'], entry['file']))
        if folder_of(path) in RULE and path.endswith('.c'):
            files.add(path)
            folder = os.path.dirname(path)
            files.update(os.path.join(folder, name) for name in os.listdir(folder)
                         if name.endswith('.h'))
    headers = {}
    for path in sorted(files):
        if path.endswith('-private.h'):
            headers.setdefault(os.path.basename(path), [])
    for path in sorted(files):
        with open(path, encoding='utf-8') as f:
            for line in f:
                if line.startswith('#include "') and line.rstrip().endswith('-private.h"'):
                    header = line.split('"')[1]
                    headers.setdefault(header, []).append(path)
    return headers


def main():
    build_dir = sys.argv[1]
    with open(os.path.join(build_dir, 'compile_commands.json')) as f:
        entries = json.load(f)

    # One real source of each folder (the first the build lists)
    commands = {}
    for entry in entries:
        folder = folder_of(entry['file'])
        if folder is not None and folder not in commands and entry['file'].endswith('.c'):
            commands[folder] = entry

    checks = []
    for layer, allowed in RULE.items():
        for other, header in HEADERS.items():
            reachable = other == layer or other in allowed
            checks.append((layer, header, other, reachable))
    if 'app/core' in commands:
        checks += [('app/core', header, 'public', True) for header in PUBLIC]
        checks += [('app/core', header, 'private', False) for header in PRIVATE]

    privates = private_includes(entries)

    print('1..%d' % (len(checks) + len(privates)))
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, 'probe.c')
        for n, (layer, header, other, reachable) in enumerate(checks, 1):
            name = '%s/ %s %s (%s)' % (layer, 'can include' if reachable else 'cannot include',
                                      header, other if other == 'public' or other == 'private'
                                      else other + '/')
            entry = commands.get(layer)
            if entry is None:
                print('not ok %d - %s: no source of %s/ in compile_commands.json'
                      % (n, name, layer))
                failed += 1
                continue
            with open(probe, 'w') as f:
                f.write('#include "%s"\n' % header)
            result = subprocess.run(flags_of(entry) + ['-E', '-o', os.devnull, '-x', 'c', probe],
                                    cwd=entry['directory'], capture_output=True, text=True)
            missing = result.returncode != 0 and ('%s: No such file' % header) in result.stderr
            if reachable and result.returncode == 0 or not reachable and missing:
                print('ok %d - %s' % (n, name))
            else:
                failed += 1
                print('not ok %d - %s' % (n, name))
                for line in result.stderr.splitlines()[:5]:
                    print('# ' + line)

    # A private header is for its type's own aspect files, not a way in
    # for the rest of its folder or another layer.
    for n, (header, includers) in enumerate(sorted(privates.items()), len(checks) + 1):
        type_prefix = header[:-len('-private.h')]
        outsiders = [path for path in includers
                     if not os.path.basename(path).startswith(type_prefix)]
        name = '%s is included by %s*.c only' % (header, type_prefix)
        if not includers:
            failed += 1
            print('not ok %d - %s: no file includes it' % (n, name))
        elif outsiders:
            failed += 1
            print('not ok %d - %s' % (n, name))
            for path in outsiders:
                print('# included by ' + path)
        else:
            print('ok %d - %s' % (n, name))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
