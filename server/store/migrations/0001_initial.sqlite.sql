-- SPDX-License-Identifier: GPL-3.0-or-later
-- The SQLite mirror of 0001_initial.pg.sql: the same tables, columns,
-- constraints and indexes, so that the store behaves alike on both.
--
-- UUIDs are TEXT and always supplied by the server. Timestamps are TEXT in the
-- canonical form 2026-01-15T10:30:00.123Z, checked, so that they sort as text.
-- JSONB is TEXT holding valid JSON, BOOLEAN is 0 or 1, FLOAT is REAL. The
-- VARCHAR lengths and the INTEGER and FLOAT types, which PostgreSQL enforces,
-- are checks here. "index" is a keyword in SQLite and must be quoted.

CREATE TABLE networks (
    id TEXT PRIMARY KEY NOT NULL,
    network_id TEXT UNIQUE NOT NULL CHECK (length(network_id) <= 50),
    name TEXT NOT NULL CHECK (length(name) <= 255),
    description TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    last_activity TEXT CHECK (last_activity GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'suspended')),
    -- {key: value} of network_settings, kept in step by the store for one-row reads
    settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
    metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    -- SHA-256 of the network token; the token itself is never stored
    token_hash TEXT UNIQUE NOT NULL CHECK (length(token_hash) <= 64),
    -- kept by a trigger so that listing interactions never counts them
    interaction_count INTEGER NOT NULL DEFAULT 0 CHECK (typeof(interaction_count) = 'integer')
);

CREATE INDEX idx_networks_network_id ON networks(network_id);
CREATE INDEX idx_networks_status ON networks(status);
CREATE INDEX idx_networks_last_activity ON networks(last_activity);

CREATE TABLE clients (
    id TEXT PRIMARY KEY NOT NULL,
    network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL CHECK (length(client_id) <= 50),
    device_type TEXT NOT NULL CHECK (length(device_type) <= 50),
    device_info TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(device_info)),
    capabilities TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(capabilities)),
    connection_status TEXT NOT NULL DEFAULT 'disconnected' CHECK (connection_status IN ('connected', 'disconnected', 'error')),
    last_seen TEXT CHECK (last_seen GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    audio_quality_score REAL DEFAULT 0.0 CHECK (typeof(audio_quality_score) IN ('real', 'null')),
    location TEXT CHECK (location IS NULL OR json_valid(location)),
    rssi REAL CHECK (typeof(rssi) IN ('real', 'null')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    UNIQUE(network_id, client_id)
);

CREATE INDEX idx_clients_network_id ON clients(network_id);
CREATE INDEX idx_clients_client_id ON clients(client_id);
CREATE INDEX idx_clients_connection_status ON clients(connection_status);
CREATE INDEX idx_clients_last_seen ON clients(last_seen);
CREATE INDEX idx_clients_audio_quality ON clients(audio_quality_score);

CREATE TABLE persons (
    id TEXT PRIMARY KEY NOT NULL,
    network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    name TEXT CHECK (length(name) <= 255),
    "index" INTEGER NOT NULL CHECK (typeof("index") = 'integer'),
    voice_embedding TEXT CHECK (voice_embedding IS NULL OR json_valid(voice_embedding)),
    cluster_id INTEGER CHECK (typeof(cluster_id) IN ('integer', 'null')),
    metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    UNIQUE(network_id, "index")
);

CREATE INDEX idx_persons_network_id ON persons(network_id);
CREATE INDEX idx_persons_index ON persons(network_id, "index");
CREATE INDEX idx_persons_cluster_id ON persons(network_id, cluster_id);

CREATE TABLE conversations (
    id TEXT PRIMARY KEY NOT NULL,
    network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    title TEXT CHECK (length(title) <= 255),
    topic_summary TEXT,
    context_summary TEXT,
    participant_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(participant_ids)),
    metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at TEXT CHECK (closed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    last_interaction_at TEXT CHECK (last_interaction_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
);

CREATE INDEX idx_conversations_network_id ON conversations(network_id);
CREATE INDEX idx_conversations_last_interaction ON conversations(network_id, last_interaction_at);
CREATE INDEX idx_conversations_status ON conversations(network_id, status);

CREATE TABLE interactions (
    id TEXT UNIQUE NOT NULL,
    network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    client_id TEXT REFERENCES clients(id) ON DELETE SET NULL,
    speaker_id TEXT REFERENCES persons(id) ON DELETE SET NULL,
    conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,

    text TEXT NOT NULL,
    interaction_type TEXT NOT NULL DEFAULT 'text' CHECK (interaction_type IN ('audio', 'text', 'system')),
    timestamp TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (timestamp GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),

    voice_embedding TEXT CHECK (voice_embedding IS NULL OR json_valid(voice_embedding)),
    audio_quality_score REAL CHECK (typeof(audio_quality_score) IN ('real', 'null')),
    audio_duration REAL CHECK (typeof(audio_duration) IN ('real', 'null')),

    text_embedding TEXT CHECK (text_embedding IS NULL OR json_valid(text_embedding)),
    entities TEXT CHECK (entities IS NULL OR json_valid(entities)),
    topics TEXT CHECK (topics IS NULL OR json_valid(topics)),
    sentiment REAL CHECK (typeof(sentiment) IN ('real', 'null')),

    processing_status TEXT NOT NULL DEFAULT 'pending' CHECK (processing_status IN ('pending', 'processing', 'completed', 'failed')),
    processing_metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(processing_metadata)),

    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),

    -- Instead of PostgreSQL's text_search column: the rowid of interactions_fts.
    -- Declared, because VACUUM may renumber an implicit rowid.
    seq INTEGER PRIMARY KEY
);

CREATE INDEX idx_interactions_network_id ON interactions(network_id);
CREATE INDEX idx_interactions_client_id ON interactions(client_id);
CREATE INDEX idx_interactions_speaker_id ON interactions(speaker_id);
CREATE INDEX idx_interactions_conversation_id ON interactions(conversation_id);
CREATE INDEX idx_interactions_timestamp ON interactions(network_id, timestamp);
CREATE INDEX idx_interactions_processing_status ON interactions(processing_status);

-- full-text search of q=: rowid IN (SELECT rowid FROM interactions_fts WHERE interactions_fts MATCH $n)
CREATE VIRTUAL TABLE interactions_fts USING fts5(
    text,
    content = 'interactions',
    content_rowid = 'seq',
    tokenize = 'porter unicode61'
);

CREATE TRIGGER trg_interactions_fts_insert AFTER INSERT ON interactions
BEGIN
    INSERT INTO interactions_fts (rowid, text) VALUES (NEW.seq, NEW.text);
END;

CREATE TRIGGER trg_interactions_fts_delete AFTER DELETE ON interactions
BEGIN
    INSERT INTO interactions_fts (interactions_fts, rowid, text) VALUES ('delete', OLD.seq, OLD.text);
END;

CREATE TRIGGER trg_interactions_fts_update AFTER UPDATE OF text ON interactions
BEGIN
    INSERT INTO interactions_fts (interactions_fts, rowid, text) VALUES ('delete', OLD.seq, OLD.text);
    INSERT INTO interactions_fts (rowid, text) VALUES (NEW.seq, NEW.text);
END;

CREATE TRIGGER trg_interactions_count_insert AFTER INSERT ON interactions
BEGIN
    UPDATE networks SET interaction_count = interaction_count + 1 WHERE id = NEW.network_id;
END;

CREATE TRIGGER trg_interactions_count_delete AFTER DELETE ON interactions
BEGIN
    UPDATE networks SET interaction_count = interaction_count - 1 WHERE id = OLD.network_id;
END;

CREATE TABLE actions (
    id TEXT PRIMARY KEY NOT NULL,
    network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    interaction_id TEXT NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
    action_type TEXT NOT NULL CHECK (length(action_type) <= 50),
    action_data TEXT NOT NULL CHECK (json_valid(action_data)),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
    result TEXT CHECK (result IS NULL OR json_valid(result)),
    error_message TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    completed_at TEXT CHECK (completed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
);

CREATE INDEX idx_actions_network_id ON actions(network_id);
CREATE INDEX idx_actions_interaction_id ON actions(interaction_id);
CREATE INDEX idx_actions_status ON actions(status);
CREATE INDEX idx_actions_type ON actions(action_type);

CREATE TABLE calendar_events (
    id TEXT PRIMARY KEY NOT NULL,
    network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    interaction_id TEXT REFERENCES interactions(id) ON DELETE SET NULL,
    title TEXT NOT NULL CHECK (length(title) <= 255),
    description TEXT,
    start_time TEXT NOT NULL CHECK (start_time GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    end_time TEXT CHECK (end_time GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    location TEXT CHECK (length(location) <= 255),
    attendees TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(attendees)),
    reminder_settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(reminder_settings)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CHECK (end_time IS NULL OR end_time >= start_time)
);

CREATE INDEX idx_calendar_events_network_id ON calendar_events(network_id);
CREATE INDEX idx_calendar_events_start_time ON calendar_events(network_id, start_time);
CREATE INDEX idx_calendar_events_interaction_id ON calendar_events(interaction_id);

CREATE TABLE reminders (
    id TEXT PRIMARY KEY NOT NULL,
    network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    interaction_id TEXT REFERENCES interactions(id) ON DELETE SET NULL,
    title TEXT NOT NULL CHECK (length(title) <= 255),
    description TEXT,
    due_time TEXT NOT NULL CHECK (due_time GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    priority TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed', 'cancelled', 'overdue')),
    reminder_settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(reminder_settings)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
);

CREATE INDEX idx_reminders_network_id ON reminders(network_id);
CREATE INDEX idx_reminders_due_time ON reminders(network_id, due_time);
CREATE INDEX idx_reminders_status ON reminders(status);
CREATE INDEX idx_reminders_interaction_id ON reminders(interaction_id);

CREATE TABLE network_settings (
    id TEXT PRIMARY KEY NOT NULL,
    network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    setting_key TEXT NOT NULL CHECK (length(setting_key) <= 100),
    setting_value TEXT NOT NULL CHECK (json_valid(setting_value)),
    setting_type TEXT NOT NULL DEFAULT 'string' CHECK (setting_type IN ('string', 'number', 'boolean', 'json', 'array')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    UNIQUE(network_id, setting_key)
);

CREATE INDEX idx_network_settings_network_id ON network_settings(network_id);
CREATE INDEX idx_network_settings_key ON network_settings(setting_key);

CREATE TABLE client_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    -- SHA-256 of the session token
    session_token TEXT UNIQUE NOT NULL CHECK (length(session_token) <= 255),
    ip_address TEXT,
    user_agent TEXT,
    capabilities TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(capabilities)),
    connected_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (connected_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    last_activity TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK (last_activity GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    disconnected_at TEXT CHECK (disconnected_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
);

CREATE INDEX idx_client_sessions_network_id ON client_sessions(network_id);
CREATE INDEX idx_client_sessions_client_id ON client_sessions(client_id);
CREATE INDEX idx_client_sessions_token ON client_sessions(session_token);
CREATE INDEX idx_client_sessions_active ON client_sessions(is_active);
