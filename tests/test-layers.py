#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The server's layers, as the build compiles them and as the sources are
written: a file of each folder of server/ can include the headers of its own
folder and of the layers below it, and no other; the app sees the library's
public headers only. A type's private header (mira-audio-hub-private.h) is
included by that type's own aspect files (mira-audio-hub*.c) and by nothing
else: no other file of server/, no test, nothing of the app.

Two kinds of checks:

- The include path: a one-line file, '#include "HEADER"', is preprocessed
  with the flags the build gives a real source file of each folder (read
  from compile_commands.json), so it fails exactly when such a line in that
  folder would.
- The sources: every '#include "…"' line of server/, tests/ and app/ names
  a bare header (no directory, no '..': the compiler would resolve those
  relative to the including file, past any include path) of a folder that
  the including file may use, and no private header that is not its own.

Neither needs anything built beyond what 'meson setup' writes.

    test-layers.py SOURCE_DIR BUILD_DIR
"""

import json
import os
import re
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
    'speech': ['base', 'net', 'store', 'audio'],
    'events': ['base', 'net', 'store'],
    'live': ['base', 'net', 'store', 'audio', 'speech', 'events'],
    'api': ['base', 'net', 'store', 'audio', 'speech', 'events', 'live'],
    '.': ['base', 'net', 'store', 'audio', 'speech', 'events', 'live', 'api'],
}

# Headers the build generates, by the folder whose sources they belong to
GENERATED = {'mira-api-error-enums.h': 'api', 'mira-migrations-resources.h': 'store',
             'mira-core-enums.h': 'app/core'}

# The folders of server/ whose targets have config.h on their path
CONFIG_USERS = {'speech', 'api', '.'}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]*)"')

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

# The app's private headers that its tests read: the window's widgets
# (test-pages and the screenshots open its pages) and the core's items
# filled from JSON (test-data, test-connection build them as the core does)
APP_PRIVATE_FOR_TESTS = {'mira-window-private.h', 'mira-core-private.h'}

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


def source_folder(rel):
    """The folder that decides what @rel (a path relative to the source
    root) may include: a folder of server/ ('.' for its root), 'app/core',
    'app/gui', 'app' (its main.c) or 'tests' (with bench/ and fuzz/)."""
    parts = rel.split('/')
    if parts[0] == 'server':
        if len(parts) == 2:
            return '.'
        return parts[1]
    if parts[0] == 'app':
        return 'app/' + parts[1] if len(parts) > 2 else 'app'
    return parts[0]


def sources(source_dir):
    """Every .c and .h file of server/, tests/ and app/, relative to
    @source_dir, except the build directories inside it."""
    found = []
    for top in ('server', 'tests', 'app'):
        for root, dirs, files in os.walk(os.path.join(source_dir, top)):
            dirs[:] = sorted(d for d in dirs
                             if not os.path.exists(os.path.join(root, d, 'meson-info')))
            for name in sorted(files):
                if name.endswith('.c') or name.endswith('.h'):
                    found.append(os.path.relpath(os.path.join(root, name), source_dir))
    return found


def header_homes(files):
    """The folder of each header, by its name: {'mira-db.h': 'store'}."""
    homes = dict(GENERATED)
    homes['config.h'] = 'config'
    for rel in files:
        if rel.endswith('.h'):
            name = os.path.basename(rel)
            if name in homes and homes[name] != source_folder(rel):
                raise SystemExit('Bail out! %s is the name of two headers' % name)
            homes[name] = source_folder(rel)
    return homes


def may_include(folder, header, home):
    """None if a file of @folder may include @header (of folder @home),
    else why not."""
    if home is None:
        return 'no header of ours is called that'
    if folder in RULE:
        if home == 'config':
            return None if folder in CONFIG_USERS else 'config.h is not on its path'
        if home == folder or home in RULE[folder]:
            return None
        return 'a header of %s/, which %s/ may not use' % (home, folder)
    if folder == 'tests':
        return None
    # The app: the library's public headers, its own folders and config.h
    if home in RULE:
        return None if header in PUBLIC else 'not one of the library\'s public headers'
    if home == 'tests':
        return 'a header of the tests'
    return None


def private_owner(rel, header, home):
    """None if @rel may include the private @header of folder @home, else
    why not. A server type's private header is for its own aspect files; the
    app's are for their own folder."""
    folder = source_folder(rel)
    name = os.path.basename(rel)
    if home in RULE:
        if folder == home and name.startswith(header[:-len('-private.h')]):
            return None
        return 'a private header of %s*.c' % header[:-len('-private.h')]
    if folder == home or folder == 'tests' and header in APP_PRIVATE_FOR_TESTS:
        return None
    return 'a private header of %s/' % home


def include_checks(source_dir):
    """(name, why it fails or None, its lines) for every #include "…" line
    of the sources, and for each private header of server/ that nothing
    includes."""
    files = sources(source_dir)
    homes = header_homes(files)
    checks = []
    included = set()
    for rel in files:
        folder = source_folder(rel)
        with open(os.path.join(source_dir, rel), encoding='utf-8') as f:
            for number, line in enumerate(f, 1):
                match = INCLUDE.match(line)
                if match is None:
                    continue
                header = match.group(1)
                home = homes.get(header)
                if '/' in header or '..' in header:
                    why = 'a path, not a header\'s name'
                else:
                    why = may_include(folder, header, home)
                    if why is None and header.endswith('-private.h'):
                        why = private_owner(rel, header, home)
                        included.add(header)
                checks.append(('%s:%d includes "%s"' % (rel, number, header), why))
    for header, home in sorted(homes.items()):
        if header.endswith('-private.h') and home in RULE and header not in included:
            checks.append(('%s is included by its type\'s files' % header,
                           'no file includes it'))
    return checks


def main():
    source_dir, build_dir = sys.argv[1], sys.argv[2]
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

    includes = include_checks(source_dir)

    print('1..%d' % (len(checks) + len(includes)))
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

    # What the sources say, line by line
    for n, (name, why) in enumerate(includes, len(checks) + 1):
        if why is None:
            print('ok %d - %s' % (n, name))
        else:
            failed += 1
            print('not ok %d - %s: %s' % (n, name, why))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
