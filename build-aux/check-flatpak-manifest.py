#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks a Flatpak manifest of the dashboard without building it.

    check-flatpak-manifest.py MANIFEST APP_ID [MESON_OPTION…]

The GNOME runtime cannot be downloaded everywhere the tests run, so this
checks what can be checked without it:

- flatpak-builder --show-manifest reads MANIFEST without an error or a
  warning (an unknown or misspelt property is only a warning there);
- it is APP_ID on a stable org.gnome.Platform/Sdk, running mira-dashboard;
- finish-args grant no more than Wayland (X11 as a fallback), DRI, IPC,
  the network and the PulseAudio socket (the microphone): no files, no
  D-Bus names (libsecret reaches the keyring through the Secret portal);
- every source is pinned: an archive or file by URL and sha256, a git
  repository by commit; only the app's own module builds a directory, and
  that is this source tree (path "." beside the manifest), with meson and
  the MESON_OPTIONs given;
- every dependency() that the meson.build files ask for comes from the
  runtime or from a module of the manifest.

TAP output, one test a check; exit status 1 when any fails.
"""

import json
import os
import re
import subprocess
import sys

ALLOWED_FINISH_ARGS = {
    "--share=ipc",
    "--socket=wayland",
    "--socket=fallback-x11",
    "--device=dri",
    "--share=network",
    "--socket=pulseaudio",
}

# pkg-config names the GNOME runtime (and its freedesktop base) provides
RUNTIME_PROVIDES = {
    "glib-2.0", "gio-2.0", "gobject-2.0", "gio-unix-2.0", "gmodule-2.0",
    "libsoup-3.0", "json-glib-1.0", "sqlite3", "opus", "ogg", "sndfile", "libcurl",
    "gtk4", "libadwaita-1", "libsecret-1", "threads",
    "gstreamer-1.0", "gstreamer-app-1.0", "gstreamer-audio-1.0",
    "gstreamer-base-1.0", "gstreamer-pbutils-1.0", "gstreamer-plugins-base-1.0",
}

# pkg-config names the manifest's own modules provide, by module name
MODULE_PROVIDES = {
    "libpq": {"libpq"},
    "sphinxbase": {"sphinxbase"},
    "pocketsphinx": {"pocketsphinx"},
    "qrencode": {"libqrencode"},
    "opusfile": {"opusfile"},
    "speexdsp": {"speexdsp"},
    "fftw3f": {"fftw3f"},
}

SHA256 = re.compile(r"^[0-9a-f]{64}$")
COMMIT = re.compile(r"^[0-9a-f]{40}$")


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, what, details=()):
        self.n += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {what}")
        if not ok:
            self.failed += 1
            for line in details:
                print(f"# {line}")


def modules_of(modules, where="modules"):
    """Every module, nested ones included, with where it is."""
    for module in modules:
        if isinstance(module, str):
            # A module in a file of its own: its sources are not checked here
            yield None, f"{where}: {module}"
            continue
        name = module.get("name", "?")
        yield module, f"{where}/{name}"
        yield from modules_of(module.get("modules", []), f"{where}/{name}")


def unpinned_sources(module, is_app):
    problems = []
    for source in module.get("sources", []):
        if isinstance(source, str):
            problems.append(f"a source in a separate file ({source})")
            continue
        kind = source.get("type")
        if kind in ("archive", "file"):
            if not source.get("url") and not source.get("path"):
                problems.append(f"{kind} without url")
            if source.get("url") and not SHA256.match(source.get("sha256", "")):
                problems.append(f"{kind} {source.get('url')} without a sha256")
        elif kind == "git":
            if not COMMIT.match(source.get("commit", "")):
                problems.append(f"git {source.get('url')} not pinned to a commit")
        elif kind == "dir":
            if not is_app:
                problems.append(f"dir {source.get('path')} outside the app's module")
        elif kind in ("patch", "shell"):
            pass
        else:
            problems.append(f"a {kind} source cannot be checked for a pin")
    return problems


def meson_dependencies(root):
    names = set()
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs
                      if not d.startswith((".", "_build", "build")) or d == "build-aux"]
        if "meson.build" in files:
            with open(os.path.join(directory, "meson.build"), encoding="utf-8") as f:
                names.update(re.findall(r"\bdependency\(\s*'([^']+)'", f.read()))
    return names


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    path, app_id, meson_options = sys.argv[1], sys.argv[2], sys.argv[3:]
    root = os.path.dirname(os.path.abspath(path))
    tap = Tap()

    try:
        shown = subprocess.run(["flatpak-builder", "--show-manifest", path],
                               capture_output=True, text=True)
    except FileNotFoundError:
        tap.check(False, "flatpak-builder reads the manifest",
                  ["flatpak-builder is not installed (build-aux/install-deps.sh installs it)"])
        print(f"1..{tap.n}")
        return 1
    tap.check(shown.returncode == 0 and not shown.stderr.strip(),
              f"flatpak-builder --show-manifest reads {os.path.basename(path)} without a warning",
              shown.stderr.strip().splitlines())
    if shown.returncode != 0:
        print(f"1..{tap.n}")
        return 1
    manifest = json.loads(shown.stdout)

    tap.check(manifest.get("id") == app_id, f"its id is {app_id}",
              [f"id: {manifest.get('id')}"])
    version = str(manifest.get("runtime-version", ""))
    tap.check(manifest.get("runtime") == "org.gnome.Platform"
              and manifest.get("sdk") == "org.gnome.Sdk"
              and re.fullmatch(r"\d+", version) is not None and int(version) >= 47,
              "it runs on a stable org.gnome.Platform and Sdk (47 or newer)",
              [f"runtime {manifest.get('runtime')} {version}, sdk {manifest.get('sdk')}"])
    tap.check(manifest.get("command") == "mira-dashboard", "its command is mira-dashboard")

    extra = [arg for arg in manifest.get("finish-args", []) if arg not in ALLOWED_FINISH_ARGS]
    tap.check(not extra,
              "finish-args: Wayland, X11 fallback, IPC, DRI, network and PulseAudio only",
              [f"broader than needed: {arg}" for arg in extra])

    modules = list(modules_of(manifest.get("modules", [])))
    top = manifest.get("modules", [])
    app = top[-1] if top and isinstance(top[-1], dict) else {}
    problems = []
    for module, where in modules:
        if module is None:
            problems.append(f"{where} is a separate file")
            continue
        problems += [f"{where}: {p}" for p in unpinned_sources(module, module is app)]
    tap.check(not problems, "every module is pinned (url and sha256, or a git commit)", problems)

    sources = app.get("sources", [])
    builds_this_tree = (
        app.get("name") == "mira-dashboard" and app.get("buildsystem") == "meson"
        and len(sources) == 1 and sources[0].get("type") == "dir"
        and os.path.realpath(os.path.join(root, sources[0].get("path", ""))) == os.path.realpath(root)
        and os.path.exists(os.path.join(root, "meson.build")))
    if builds_this_tree:
        with open(os.path.join(root, "meson.build"), encoding="utf-8") as f:
            builds_this_tree = "project('mira-dashboard'" in f.read()
    tap.check(builds_this_tree,
              "the last module builds this source tree with meson (dir, path '.')",
              [f"last module: {json.dumps(app)[:300]}"])
    missing_options = [o for o in meson_options if o not in app.get("config-opts", [])]
    tap.check(not missing_options, f"the app is configured with {' '.join(meson_options) or 'the defaults'}",
              [f"config-opts lack {o}" for o in missing_options])

    provided = set(RUNTIME_PROVIDES)
    for module, _ in modules:
        if module is not None:
            provided |= MODULE_PROVIDES.get(module.get("name"), set())
    lacking = sorted(meson_dependencies(root) - provided)
    tap.check(not lacking, "every meson dependency() comes from the runtime or a module",
              [f"{name}: add a module for it to the Flatpak manifests (or, if the GNOME "
               "runtime has it, to RUNTIME_PROVIDES in this script)" for name in lacking])

    print(f"1..{tap.n}")
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
