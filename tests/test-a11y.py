#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""mira-dashboard through AT-SPI, as a screen reader user meets it.

Starts the dashboard from the build tree in a temporary home, with a flite
sentence as its microphone (MIRA_AUDIO_SOURCE); finds and presses "Host a
network on this computer", presses Record, and reads the Live page: the
row of this computer (its name, state and score) and the transcript's words;
then moves to the Network page by its switcher button and reads its
settings, devices, join link and the server's networks.

    test-a11y.py MIRA_DASHBOARD

Runs under tests/mira-session.sh (a private D-Bus session with the
accessibility bus, on an Xvfb display). Exit status 0 when every step
passes, 1 with the step that failed.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pyatspi

SENTENCE = "turn on the lights in the kitchen"
# PocketSphinx hears flite's "kitchen" reliably, not always every other word
HEARD_WORD = "kitchen"
STEP_TIMEOUT_S = 30
TRANSCRIPT_TIMEOUT_S = 60


class Failure(Exception):
    pass


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


def wait_for(what, find, timeout_s=STEP_TIMEOUT_S, describe=None):
    """Polls the accessible tree until find() returns something.

    AT-SPI has no event for "a node with this name exists"; a screen reader
    looks again, and so does this. describe() says what was there instead.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
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


def find_node(app, role, pattern):
    regex = re.compile(pattern, re.IGNORECASE)
    for node in walk(app):
        try:
            if role is not None and node.getRole() != role:
                continue
        except Exception:
            continue
        if regex.search(text_of(node)):
            return node
    return None


def press(node, what):
    action = node.queryAction()
    for i in range(action.nActions):
        if action.getName(i) in ("click", "press", "activate"):
            action.doAction(i)
            return
    raise Failure(f"{what} has no click action")


def is_checked(node):
    states = node.getState()
    return states.contains(pyatspi.STATE_CHECKED) or states.contains(pyatspi.STATE_PRESSED)


def failed_to_record(node):
    """The button says why it is not recording: a screen reader hears that."""
    return (node.description or "").startswith("Not recording:") or None


def speech_wav(directory):
    """The sentence spoken by flite, with silence around it: a microphone."""
    spoken = os.path.join(directory, "spoken.wav")
    padded = os.path.join(directory, "microphone.wav")
    subprocess.run(["flite", "-voice", "slt", "-t", SENTENCE, "-o", spoken], check=True)
    # Silence after the words keeps it recording for a while, so that the
    # pressed state is there to be read while the transcript comes
    subprocess.run(["sox", spoken, "-r", "16000", "-c", "1", padded, "pad", "0.5", "8"],
                   check=True)
    return padded


def run(dashboard, home):
    env = dict(os.environ)
    for var, sub in (("HOME", ""), ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"),
                     ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state")):
        path = os.path.join(home, sub)
        os.makedirs(path, exist_ok=True)
        env[var] = path
    env["MIRA_AUDIO_SOURCE"] = f'filesrc location="{speech_wav(home)}" ! wavparse'
    env.pop("NO_AT_BRIDGE", None)
    env["GTK_A11Y"] = "atspi"

    app_process = subprocess.Popen([dashboard], env=env)
    try:
        def started():
            if app_process.poll() is not None:
                raise Failure(f"the dashboard exited with status {app_process.returncode} "
                              "before it was on the accessibility bus")
            return find_app(app_process.pid)

        app = wait_for("the dashboard on the accessibility bus", started)
        print(f"# found the application: {app.name}")

        host = wait_for("the button 'Host a network on this computer'",
                        lambda: find_node(app, pyatspi.ROLE_PUSH_BUTTON,
                                          r"host a network on this computer"))
        print(f"# pressing: {text_of(host)}")
        press(host, "the host button")

        # GTK 4.8 says "push button" with a pressed state, newer GTK "toggle button"
        record = wait_for("the button 'Record'",
                          lambda: find_node(app, pyatspi.ROLE_TOGGLE_BUTTON, r"^record$")
                          or find_node(app, pyatspi.ROLE_PUSH_BUTTON, r"^record$"))
        # The row reads "NAME, STATE · This computer, …"; the welcome page
        # and the status pages say "this computer" too
        wait_for("the Live page's row of this computer",
                 lambda: find_node(app, None, r"· this computer, "))
        print("# pressing: Record")
        press(record, "the record button")
        wait_for("the record button pressed",
                 lambda: is_checked(record) or failed_to_record(record),
                 describe=lambda: f"states {record.getState().getStates()}, "
                                  f"description {record.description!r}")
        print(f"# record button: {record.description}")
        if not is_checked(record):
            raise Failure(f"recording did not start: {record.description}")

        row = wait_for("the row of this computer with its score",
                       lambda: find_node(app, None, r"· this computer, score \d+"))
        print(f"# client row: {text_of(row)}")
        device = text_of(row).split(",")[0]

        # The graph is a picture; its description says what it shows
        graph = wait_for("the score graph",
                         lambda: find_node(app, pyatspi.ROLE_IMAGE, r"stream quality"))
        wait_for(f"the graph's description of {device}'s score",
                 lambda: re.search(re.escape(device) + r": \d+", graph.description or ""))
        print(f"# graph: {graph.description}")

        words = wait_for(f"the transcript's words ('{HEARD_WORD}')",
                         lambda: find_node(app, None, HEARD_WORD), TRANSCRIPT_TIMEOUT_S)
        print(f"# transcript: {text_of(words)}")

        # The Network page, by its view switcher button, as a screen reader
        # user moves between pages
        network = wait_for("the Network page's switcher button",
                           lambda: find_node(app, None, r"^network$"))
        press(network, "the Network page's switcher button")
        for what, pattern in (("the time zone", r"^time zone"),
                              ("the conversation timeout",
                               r"^conversation timeout"),
                              ("this computer's Deregister button", r"^deregister “.+”…$"),
                              ("the join link's Copy button", r"^copy join link$"),
                              ("a network of the server", r"^suspend “.+”…$")):
            node = wait_for(f"{what} on the Network page", lambda p=pattern: find_node(app, None, p))
            print(f"# network page: {text_of(node)}")

        if app_process.poll() is not None:
            raise Failure(f"the dashboard exited with status {app_process.returncode}")
    finally:
        app_process.terminate()
        try:
            app_process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            app_process.kill()
            app_process.wait()


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    home = tempfile.mkdtemp(prefix="mira-test-a11y-")
    try:
        run(os.path.abspath(sys.argv[1]), home)
    except Failure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print("PASS: hosted, recorded, read the Live and Network pages through AT-SPI")
    return 0


if __name__ == "__main__":
    sys.exit(main())
