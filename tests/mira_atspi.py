# SPDX-License-Identifier: GPL-3.0-or-later
"""mira-dashboard read through AT-SPI, as a screen reader reads it.

The helpers that tests/test-a11y.py (the build tree's dashboard) and
tests/test-installed.py (the installed one) share: starting the dashboard
with the accessibility bus in a home of its own, finding it on the bus,
walking its tree, reading what a screen reader says for a node, finding
nodes by role and text, pressing them, and waiting for what comes.
"""

import os
import re
import subprocess
import time

import pyatspi

STEP_TIMEOUT_S = 30

# The actions that press a control, as GTK 4.8 names them
PRESS_ACTIONS = ("click", "press", "activate", "toggle")


class Failure(Exception):
    pass


def session_env(home, **extra):
    """The environment of a dashboard with its own HOME and XDG
    directories under home, on the accessibility bus (AT-SPI)."""
    env = dict(os.environ, GTK_A11Y="atspi", **extra)
    env.pop("NO_AT_BRIDGE", None)
    for var, sub in (("HOME", ""), ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"),
                     ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state")):
        env[var] = os.path.join(home, sub)
        os.makedirs(env[var], exist_ok=True)
    return env


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def walk(node, depth=0):
    """Every accessible under node, depth first; dead objects are skipped."""
    if node is None or depth > 60:
        return
    yield node
    try:
        count = node.childCount
    except Exception:
        return
    for i in range(count):
        try:
            child = node.getChildAtIndex(i)
        except Exception:
            continue
        yield from walk(child, depth + 1)


def text_of(node):
    """What a screen reader says for node: its name, else its text."""
    try:
        name = node.name or ""
    except Exception:
        return ""
    if name:
        return name
    try:
        text = node.queryText()
        return text.getText(0, text.characterCount)
    except Exception:
        return ""


def wait_for(what, find, timeout_s=STEP_TIMEOUT_S, describe=None, process=None):
    """Polls the accessible tree until find() returns something.

    AT-SPI has no event for "a node with this name exists"; a screen reader
    looks again, and so does this. describe() says what was there instead;
    with process, its end is a failure at once.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise Failure(f"the dashboard exited with status {process.returncode} "
                          f"while waiting for {what}")
        found = find()
        if found:
            return found
        time.sleep(0.2)
    seen = f" ({describe()})" if describe else ""
    raise Failure(f"not found within {timeout_s} s: {what}{seen}")


def find_app(pid):
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        try:
            app = desktop.getChildAtIndex(i)
            if app is not None and app.get_process_id() == pid:
                return app
        except Exception:
            continue
    return None


def wait_app(process):
    """The application of process on the accessibility bus."""
    return wait_for("the dashboard on the accessibility bus",
                    lambda: find_app(process.pid), process=process)


def find_node(root, role, pattern):
    """The first node under root of role (None: any) whose text matches
    the regular expression pattern, case ignored."""
    regex = re.compile(pattern, re.IGNORECASE)
    for node in walk(root):
        try:
            if role is not None and node.getRole() != role:
                continue
        except Exception:
            continue
        if regex.search(text_of(node)):
            return node
    return None


def find_text(root, role, text):
    """The first node under root of role (None: any) that says text exactly."""
    for node in walk(root):
        try:
            if role is not None and node.getRole() != role:
                continue
        except Exception:
            continue
        if text_of(node) == text:
            return node
    return None


def find_window(app, title):
    """The window (frame or dialog) of app titled title."""
    for i in range(app.childCount):
        try:
            window = app.getChildAtIndex(i)
            if window is not None and text_of(window) == title:
                return window
        except Exception:
            continue
    return None


def has_click(node):
    try:
        action = node.queryAction()
    except Exception:
        return False
    return any(action.getName(i) in PRESS_ACTIONS for i in range(action.nActions))


def press(node, what):
    action = node.queryAction()
    for i in range(action.nActions):
        if action.getName(i) in PRESS_ACTIONS:
            action.doAction(i)
            return
    names = [action.getName(i) for i in range(action.nActions)]
    raise Failure(f"{what} has no click action, only {names}")


def is_checked(node):
    states = node.getState()
    return states.contains(pyatspi.STATE_CHECKED) or states.contains(pyatspi.STATE_PRESSED)
