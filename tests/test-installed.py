#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The installed mira-dashboard, as a user of that prefix meets it.

    test-installed.py PREFIX APP_ID

Run by tests/test-install.sh after `meson install` into PREFIX, with
XDG_DATA_DIRS and PATH pointing there and LOCPATH holding de_DE.UTF-8 and
fr_FR.UTF-8, under tests/mira-session.sh (a private D-Bus session with the
accessibility bus, on an Xvfb display). Checks that:

- the desktop entry is found in PREFIX, named after APP_ID, and its Exec
  runs PREFIX/bin/mira-dashboard;
- the settings schema was compiled in PREFIX, and is found only there;
- the icon theme finds the app icon and its symbolic variant in PREFIX;
- `--version` and `--help` work, `--help` in German and in French;
- started from its desktop entry under LANG=de_DE.UTF-8, the app (which
  needs its settings schema, found only in PREFIX) shows the welcome page
  in German, read through AT-SPI as a screen reader would.

The expected words come from the installed catalogues (gettext), so the
test checks that the app finds and uses them, and that they are not English.
Exit status 0 when every step passes, 1 with the step that failed.
"""

import gettext
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

import gi

gi.require_version("Gdk", "4.0")
gi.require_version("Gtk", "4.0")
from gi.repository import Gio, Gtk  # noqa: E402

import pyatspi  # noqa: E402

from mira_atspi import Failure, find_text, session_env, stop, wait_app, wait_for  # noqa: E402

DOMAIN = "mira-dashboard"


def check(condition, what):
    if not condition:
        raise Failure(what)
    print(f"# ok: {what}")


def catalogue(prefix, language):
    """The installed translations of one language, as the app loads them."""
    try:
        return gettext.translation(DOMAIN, os.path.join(prefix, "share", "locale"),
                                   languages=[language])
    except OSError as error:
        raise Failure(f"no {language} catalogue of {DOMAIN} in {prefix}: {error}")


def translated(tr, msgid):
    text = tr.gettext(msgid)
    if text == msgid:
        raise Failure(f"“{msgid}” is not translated in {tr.info().get('language')}")
    return text


def in_prefix(path, prefix):
    return path is not None and os.path.realpath(path).startswith(os.path.realpath(prefix) + "/")


def check_desktop_entry(prefix, app_id):
    info = Gio.DesktopAppInfo.new(app_id + ".desktop")
    check(info is not None, f"the desktop entry {app_id}.desktop is found")
    check(in_prefix(info.get_filename(), prefix),
          f"it is the one in the prefix ({info.get_filename()})")
    check(info.get_string("Icon") == app_id, f"its icon is {app_id}")
    argv = shlex.split(info.get_commandline())
    program = shutil.which(argv[0])
    check(in_prefix(program, prefix), f"its Exec runs the installed program ({program})")
    return info, [program] + [arg for arg in argv[1:] if not arg.startswith("%")]


def check_schema(prefix, app_id):
    """The settings schema is found, and only through the prefix: the app
    could not start without it."""
    def has_schema(data_dirs):
        env = dict(os.environ, XDG_DATA_DIRS=data_dirs)
        return subprocess.run(["gsettings", "list-keys", app_id], env=env,
                              capture_output=True).returncode == 0

    check(os.path.exists(os.path.join(prefix, "share", "glib-2.0", "schemas", "gschemas.compiled")),
          "the install compiled the settings schemas in the prefix")
    check(has_schema(os.environ["XDG_DATA_DIRS"]), f"the schema {app_id} is found")
    check(not has_schema("/usr/share"), "and not without the prefix")


def check_icons(prefix, app_id):
    Gtk.init()
    theme = Gtk.IconTheme.get_for_display(Gtk.Window().get_display())
    for name in (app_id, app_id + "-symbolic"):
        icon = theme.lookup_icon(name, None, 128, 1, Gtk.TextDirection.NONE, 0)
        path = icon.get_file().get_path() if icon.get_file() else None
        check(in_prefix(path, prefix), f"the icon theme finds {name} in the prefix ({path})")


def output_of(argv, language):
    env = dict(os.environ, LANG=f"{language}.UTF-8")
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise Failure(f"{' '.join(argv)} exited with {done.returncode}: {done.stderr}")
    return done.stdout


def check_command_line(prefix, program):
    version = output_of([program, "--version"], "C")
    check("mira-dashboard" in version, f"--version says {version.strip()!r}")
    summary = ("Host or join a Mira network, record this computer’s microphone "
               "and watch the network live.")
    for language in ("de_DE", "fr_FR"):
        expected = translated(catalogue(prefix, language.split("_")[0]), summary)
        check(expected in output_of([program, "--help"], language),
              f"--help under LANG={language}.UTF-8 says “{expected}”")


def check_german_window(prefix, argv):
    german = catalogue(prefix, "de")
    welcome = translated(german, "Welcome to Mira")
    host = translated(german, "Host a Network on This Computer")
    join = translated(german, "Join a Network")

    home = tempfile.mkdtemp(prefix="mira-test-installed-")
    process = subprocess.Popen(argv, env=session_env(home, LANG="de_DE.UTF-8"))
    try:
        app = wait_app(process)
        print(f"# found the application: {app.name}")
        wait_for(f"the title “{welcome}”", lambda: find_text(app, pyatspi.ROLE_LABEL, welcome),
                 process=process)
        check(True, f"the welcome page says “{welcome}”")
        wait_for(f"the button “{host}”",
                 lambda: find_text(app, pyatspi.ROLE_PUSH_BUTTON, host), process=process)
        check(True, f"its first choice is the button “{host}”")
        wait_for(f"the button “{join}”",
                 lambda: find_text(app, pyatspi.ROLE_PUSH_BUTTON, join), process=process)
        check(True, f"its second choice is the button “{join}”")
        check(find_text(app, None, "Welcome to Mira") is None, "nothing says “Welcome to Mira”")
    finally:
        stop(process)
        shutil.rmtree(home, ignore_errors=True)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    prefix, app_id = os.path.abspath(sys.argv[1]), sys.argv[2]
    try:
        _, argv = check_desktop_entry(prefix, app_id)
        check_schema(prefix, app_id)
        check_icons(prefix, app_id)
        check_command_line(prefix, argv[0])
        check_german_window(prefix, argv)
    except Failure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        return 1
    print("PASS: the installed dashboard starts from its prefix, in German")
    return 0


if __name__ == "__main__":
    sys.exit(main())
