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
page every control a person can reach has a name. Last, opens Preferences
from the main menu and reads its rows.

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

import pyatspi

from mira_atspi import (Failure, find_app, find_node, find_window, has_click, is_checked, press,
                        session_env, stop, text_of, wait_for, walk)

SENTENCE = "turn on the lights in the kitchen"
# PocketSphinx hears flite's "kitchen" reliably, not always every other word
HEARD_WORD = "kitchen"
TRANSCRIPT_TIMEOUT_S = 60


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


def read_preferences(app):
    """Preferences, from the main menu as a screen reader user opens it:
    the window, each row and its control, every control named."""
    menu = wait_for("the button 'Main Menu'",
                    lambda: next((n for n in walk(app)
                                  if text_of(n) == "Main Menu" and has_click(n)), None))
    press(menu, "the main menu")
    item = wait_for("the menu item 'Preferences'",
                    lambda: find_node(app, pyatspi.ROLE_MENU_ITEM, r"^preferences$"),
                    describe=lambda: ", ".join(text_of(n) for n in walk(app)
                                               if n.getRole() == pyatspi.ROLE_MENU_ITEM))
    press(item, "the menu item 'Preferences'")
    window = wait_for("the Preferences window", lambda: find_window(app, "Preferences"))
    for what, role, pattern in (
            ("the network this computer is in", None, r"^hosted on this computer$"),
            ("the button that changes it", pyatspi.ROLE_PUSH_BUTTON, r"^change…"),
            ("the port", pyatspi.ROLE_SPIN_BUTTON, r"^port"),
            ("the switch for the local network", pyatspi.ROLE_CHECK_BOX,
             r"^allow devices on my local network"),
            ("the microphone", pyatspi.ROLE_COMBO_BOX, r"^microphone"),
            ("the notifications' switch", pyatspi.ROLE_CHECK_BOX,
             r"^notify when a reminder comes due")):
        node = wait_for(f"{what} in Preferences", lambda r=role, p=pattern: find_node(window, r, p))
        print(f"# preferences: {node.getRoleName()} {text_of(node)!r}")
    # The rows' controls; the window's own search entry is libadwaita's,
    # and unused here (search is off)
    unnamed = [name for node in walk(window) if node.getRole() == pyatspi.ROLE_LIST
               for name in unnamed_controls(node)]
    if unnamed:
        raise Failure(f"controls without a name in Preferences: {unnamed}")
    print("# Preferences: every control has a name")
    press(wait_for("the Preferences window's Close button",
                   lambda: find_node(window, pyatspi.ROLE_PUSH_BUTTON, r"^close$")),
          "Close")
    wait_for("Preferences closed", lambda: find_window(app, "Preferences") is None or None)


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
    env = session_env(home,
                      MIRA_AUDIO_SOURCE=f'filesrc location="{speech_wav(home)}" ! wavparse')

    app_process = subprocess.Popen([dashboard], env=env)
    try:
        app = wait_for("the dashboard on the accessibility bus",
                       lambda: find_app(app_process.pid), process=app_process)
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
                              ("the transcribers", r"^transcribers"),
                              ("this computer's Deregister button", r"^deregister “.+”…$"),
                              ("the join link's Copy button", r"^copy join link$"),
                              ("a network of the server", r"^suspend “.+”…$")):
            node = wait_for(f"{what} on the Network page", lambda p=pattern: find_node(app, None, p))
            print(f"# network page: {text_of(node)}")

        read_pages(app)
        read_preferences(app)
        if app_process.poll() is not None:
            raise Failure(f"the dashboard exited with status {app_process.returncode}")
    finally:
        stop(app_process)


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
    print("PASS: hosted, recorded, read the Live and Network pages, used the other pages and "
          "read Preferences through AT-SPI")
    return 0


if __name__ == "__main__":
    sys.exit(main())
