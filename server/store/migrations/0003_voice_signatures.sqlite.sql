-- SPDX-License-Identifier: GPL-3.0-or-later
-- A person's voice signature (voice_embedding, a JSON array of numbers) is
-- the mean of the signatures of their speech weighted by its duration: the
-- seconds of speech behind it are its weight when more speech is added or
-- two persons are merged.

ALTER TABLE persons ADD COLUMN voice_speech_s REAL NOT NULL DEFAULT 0.0
    CHECK (typeof(voice_speech_s) = 'real' AND voice_speech_s >= 0);
