-- SPDX-License-Identifier: GPL-3.0-or-later
-- The reminder clock asks for the earliest pending due time, and the sweep
-- for the pending reminders already due, of every network at once: an index
-- of pending reminders by due time answers both without reading the others.

CREATE INDEX idx_reminders_pending_due ON reminders(due_time) WHERE status = 'pending';
