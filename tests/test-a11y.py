#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""mira-dashboard through AT-SPI, as a screen reader user meets it.

Starts the dashboard from the build tree in a temporary home, with a flite
sentence as its microphone (MIRA_AUDIO_SOURCE); finds and presses "Host a
network on this computer", presses Record, and reads the Live page: the
row of this computer (its name, state and score) and the transcript's words;
then moves to the Network page by its switcher button and reads its
settings, devices, join link and the server's networks. Then the other
pages: creates a reminder in its dialog and finds its box, reads the
conversation and its transcript, the calendar and the people; on each
page every control a person can reach has a name.

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


def has_click(node):
    try:
        action = node.queryAction()
    except Exception:
        return False
    return any(action.getName(i) in ("click", "press", "activate", "toggle")
               for i in range(action.nActions))


def press(node, what):
    action = node.queryAction()
    for i in range(action.nActions):
        if action.getName(i) in ("click", "press", "activate", "toggle"):
            action.doAction(i)
            return
    names = [action.getName(i) for i in range(action.nActions)]
    raise Failure(f"{what} has no click action, only {names}")


def is_checked(node):
    states = node.getState()
    return states.contains(pyatspi.STATE_CHECKED) or states.contains(pyatspi.STATE_PRESSED)


CONTROL_ROLES = (pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_CHECK_BOX,
                 pyatspi.ROLE_ENTRY, pyatspi.ROLE_TEXT, pyatspi.ROLE_SPIN_BUTTON,
                 pyatspi.ROLE_COMBO_BOX, pyatspi.ROLE_CALENDAR)


def unnamed_controls(node, inside_calendar=False):
    """Controls that have no name: a screen reader says only "button" for
    them. GTK 4.8 reports no "showing" state, so every visible one counts,
    also on pages not in view. GtkCalendar's own month and year arrows are
    GTK's, named by the calendar around them."""
    try:
        role = node.getRole()
        visible = node.getState().contains(pyatspi.STATE_VISIBLE)
    except Exception:
        return []
    if not visible:
        return []
    found = []
    # Without a name GTK 4.8 says the type of the button's child: "GtkImage"
    name = text_of(node).strip()
    if role in CONTROL_ROLES and not inside_calendar and (not name or re.match(r"^(Gtk|Adw)[A-Z]", name)):
        found.append(f"{node.getRoleName()} in {text_of(node.parent) or node.parent.getRoleName()}")
    # GTK 4.8 names a button by its label as written, mnemonic and all
    if role in CONTROL_ROLES and re.match(r"^_\w", name):
        found.append(f"{node.getRoleName()} read as {name!r}")
    inside_calendar = inside_calendar or role == pyatspi.ROLE_CALENDAR
    try:
        count = node.childCount
    except Exception:
        return found
    for i in range(count):
        try:
            child = node.getChildAtIndex(i)
        except Exception:
            continue
        if child is not None:
            found.extend(unnamed_controls(child, inside_calendar))
    return found


def check_names(app, page):
    unnamed = unnamed_controls(app)
    if unnamed:
        raise Failure(f"controls without a name on the {page} page: {unnamed}")
    print(f"# {page}: every control has a name")


def open_page(app, title):
    """The view switcher's button of a page"""
    button = wait_for(f"the page button '{title}'",
                      lambda: next((n for n in walk(app)
                                    if re.match(f"^{title}$", text_of(n), re.IGNORECASE)
                                    and has_click(n)), None),
                      describe=lambda: ", ".join(f"{n.getRoleName()} {text_of(n)!r}"
                                                 for n in walk(app)
                                                 if re.search(title, text_of(n), re.IGNORECASE)))
    print(f"# opening the {title} page")
    press(button, f"the {title} button")


def type_into(node, text):
    editable = node.queryEditableText()
    editable.setTextContents(text)


def read_pages(app):
    # Reminders: one made in the dialog, with its check box
    open_page(app, "Reminders")
    wait_for("the Reminders page", lambda: find_node(app, None, r"^no reminders$"))
    check_names(app, "Reminders")
    # The empty page's button comes first; the list's + is there too, unmapped
    new = wait_for("the button 'New Reminder'",
                   lambda: find_node(app, pyatspi.ROLE_PUSH_BUTTON, r"^new reminder"))
    press(new, "New Reminder")
    title = wait_for("the reminder's Title field",
                     lambda: find_node(app, pyatspi.ROLE_TEXT, r"^title$")
                     or find_node(app, pyatspi.ROLE_ENTRY, r"^title$"),
                     describe=lambda: ", ".join(f"{n.getRoleName()} {text_of(n)!r}"
                                                for n in walk(app)
                                                if n.getRoleName() in ("text", "entry",
                                                                       "list item", "dialog",
                                                                       "frame")))
    check_names(app, "New Reminder dialog")
    type_into(title, "Call the dentist")
    save = wait_for("the button 'Save'",
                    # GTK 4.8 says a button's accessible label and then its label
                    lambda: find_node(app, pyatspi.ROLE_PUSH_BUTTON, r"^save( save)?$"))
    wait_for("Save enabled", lambda: save.getState().contains(pyatspi.STATE_SENSITIVE))
    press(save, "Save")
    check = wait_for("the new reminder's check box",
                     lambda: find_node(app, pyatspi.ROLE_CHECK_BOX, r"complete .call the dentist"))
    print(f"# reminder: {text_of(check)}")
    check_names(app, "Reminders")
    # GTK 4.8 gives check boxes neither an action nor focus over AT-SPI;
    # tests/test-pages.c ticks it and sees the server complete it
    if is_checked(check):
        raise Failure("the new reminder is already ticked")


    # Conversations: the one the microphone started, and its transcript
    open_page(app, "Conversations")
    wait_for("the search entry", lambda: find_node(app, None, r"^search conversations$"))
    conversation = wait_for("the conversation in the list",
                            lambda: find_node(app, None, r"interactions?(, open)?$"))
    print(f"# conversation: {text_of(conversation)}")
    check_names(app, "Conversations")

    # Calendar and People
    open_page(app, "Calendar")
    wait_for("the button 'New Event'",
             lambda: find_node(app, pyatspi.ROLE_PUSH_BUTTON, r"^new event"))
    check_names(app, "Calendar")
    open_page(app, "People")
    wait_for("the People page", lambda: find_node(app, None, r"^(people|no people yet)$"))
    check_names(app, "People")


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

        read_pages(app)
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
    print("PASS: hosted, recorded, read the Live and Network pages and used the other pages "
          "through AT-SPI")
    return 0


if __name__ == "__main__":
    sys.exit(main())
