-- SPDX-License-Identifier: GPL-3.0-or-later
-- The schema of the database design: every table is scoped by network.

CREATE TABLE networks (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    network_id VARCHAR(50) UNIQUE NOT NULL,
    name VARCHAR(255) NOT NULL,
    description TEXT,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    last_activity TIMESTAMP WITH TIME ZONE,
    status VARCHAR(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'suspended')),
    -- {key: value} of network_settings, kept in step by the store for one-row reads
    settings JSONB NOT NULL DEFAULT '{}',
    metadata JSONB NOT NULL DEFAULT '{}',
    -- SHA-256 of the network token; the token itself is never stored
    token_hash CHAR(64) UNIQUE NOT NULL,
    -- kept by a trigger so that listing interactions never counts them
    interaction_count BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX idx_networks_network_id ON networks(network_id);
CREATE INDEX idx_networks_status ON networks(status);
CREATE INDEX idx_networks_last_activity ON networks(last_activity);

CREATE TABLE clients (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    network_id UUID NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    client_id VARCHAR(50) NOT NULL,
    device_type VARCHAR(50) NOT NULL,
    device_info JSONB NOT NULL DEFAULT '{}',
    capabilities JSONB NOT NULL DEFAULT '[]',
    connection_status VARCHAR(20) NOT NULL DEFAULT 'disconnected' CHECK (connection_status IN ('connected', 'disconnected', 'error')),
    last_seen TIMESTAMP WITH TIME ZONE,
    audio_quality_score FLOAT DEFAULT 0.0,
    location JSONB,
    rssi FLOAT,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    UNIQUE(network_id, client_id)
);

CREATE INDEX idx_clients_network_id ON clients(network_id);
CREATE INDEX idx_clients_client_id ON clients(client_id);
CREATE INDEX idx_clients_connection_status ON clients(connection_status);
CREATE INDEX idx_clients_last_seen ON clients(last_seen);
CREATE INDEX idx_clients_audio_quality ON clients(audio_quality_score);

CREATE TABLE persons (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    network_id UUID NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    name VARCHAR(255),
    index INTEGER NOT NULL,
    voice_embedding JSONB,
    cluster_id INTEGER,
    metadata JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    UNIQUE(network_id, index)
);

CREATE INDEX idx_persons_network_id ON persons(network_id);
CREATE INDEX idx_persons_index ON persons(network_id, index);
CREATE INDEX idx_persons_cluster_id ON persons(network_id, cluster_id);

CREATE TABLE conversations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    network_id UUID NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    title VARCHAR(255),
    topic_summary TEXT,
    context_summary TEXT,
    participant_ids JSONB NOT NULL DEFAULT '[]',
    metadata JSONB NOT NULL DEFAULT '{}',
    status VARCHAR(20) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    last_interaction_at TIMESTAMP WITH TIME ZONE
);

CREATE INDEX idx_conversations_network_id ON conversations(network_id);
CREATE INDEX idx_conversations_last_interaction ON conversations(network_id, last_interaction_at);
CREATE INDEX idx_conversations_status ON conversations(network_id, status);

CREATE TABLE interactions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    network_id UUID NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    client_id UUID REFERENCES clients(id) ON DELETE SET NULL,
    speaker_id UUID REFERENCES persons(id) ON DELETE SET NULL,
    conversation_id UUID REFERENCES conversations(id) ON DELETE SET NULL,

    text TEXT NOT NULL,
    interaction_type VARCHAR(20) NOT NULL DEFAULT 'text' CHECK (interaction_type IN ('audio', 'text', 'system')),
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    metadata JSONB NOT NULL DEFAULT '{}',

    voice_embedding JSONB,
    audio_quality_score FLOAT,
    audio_duration FLOAT,

    text_embedding JSONB,
    entities JSONB,
    topics JSONB,
    sentiment FLOAT,

    processing_status VARCHAR(20) NOT NULL DEFAULT 'pending' CHECK (processing_status IN ('pending', 'processing', 'completed', 'failed')),
    processing_metadata JSONB NOT NULL DEFAULT '{}',

    -- full-text search of q=
    text_search TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,

    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_interactions_network_id ON interactions(network_id);
CREATE INDEX idx_interactions_client_id ON interactions(client_id);
CREATE INDEX idx_interactions_speaker_id ON interactions(speaker_id);
CREATE INDEX idx_interactions_conversation_id ON interactions(conversation_id);
CREATE INDEX idx_interactions_timestamp ON interactions(network_id, timestamp);
CREATE INDEX idx_interactions_processing_status ON interactions(processing_status);
CREATE INDEX idx_interactions_text_search ON interactions USING GIN (text_search);

CREATE FUNCTION mira_count_interactions() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE networks SET interaction_count = interaction_count + 1 WHERE id = NEW.network_id;
        RETURN NEW;
    END IF;
    UPDATE networks SET interaction_count = interaction_count - 1 WHERE id = OLD.network_id;
    RETURN OLD;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER trg_interactions_count AFTER INSERT OR DELETE ON interactions
    FOR EACH ROW EXECUTE FUNCTION mira_count_interactions();

CREATE TABLE actions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    network_id UUID NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    interaction_id UUID NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
    action_type VARCHAR(50) NOT NULL,
    action_data JSONB NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
    result JSONB,
    error_message TEXT,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    completed_at TIMESTAMP WITH TIME ZONE
);

CREATE INDEX idx_actions_network_id ON actions(network_id);
CREATE INDEX idx_actions_interaction_id ON actions(interaction_id);
CREATE INDEX idx_actions_status ON actions(status);
CREATE INDEX idx_actions_type ON actions(action_type);

CREATE TABLE calendar_events (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    network_id UUID NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    interaction_id UUID REFERENCES interactions(id) ON DELETE SET NULL,
    title VARCHAR(255) NOT NULL,
    description TEXT,
    start_time TIMESTAMP WITH TIME ZONE NOT NULL,
    end_time TIMESTAMP WITH TIME ZONE,
    location VARCHAR(255),
    attendees JSONB NOT NULL DEFAULT '[]',
    reminder_settings JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    CHECK (end_time IS NULL OR end_time >= start_time)
);

CREATE INDEX idx_calendar_events_network_id ON calendar_events(network_id);
CREATE INDEX idx_calendar_events_start_time ON calendar_events(network_id, start_time);
CREATE INDEX idx_calendar_events_interaction_id ON calendar_events(interaction_id);

CREATE TABLE reminders (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    network_id UUID NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    interaction_id UUID REFERENCES interactions(id) ON DELETE SET NULL,
    title VARCHAR(255) NOT NULL,
    description TEXT,
    due_time TIMESTAMP WITH TIME ZONE NOT NULL,
    priority VARCHAR(20) NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    status VARCHAR(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed', 'cancelled', 'overdue')),
    reminder_settings JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_reminders_network_id ON reminders(network_id);
CREATE INDEX idx_reminders_due_time ON reminders(network_id, due_time);
CREATE INDEX idx_reminders_status ON reminders(status);
CREATE INDEX idx_reminders_interaction_id ON reminders(interaction_id);

CREATE TABLE network_settings (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    network_id UUID NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    setting_key VARCHAR(100) NOT NULL,
    setting_value JSONB NOT NULL,
    setting_type VARCHAR(50) NOT NULL DEFAULT 'string' CHECK (setting_type IN ('string', 'number', 'boolean', 'json', 'array')),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    UNIQUE(network_id, setting_key)
);

CREATE INDEX idx_network_settings_network_id ON network_settings(network_id);
CREATE INDEX idx_network_settings_key ON network_settings(setting_key);

CREATE TABLE client_sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    network_id UUID NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
    client_id UUID NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    -- SHA-256 of the session token
    session_token VARCHAR(255) UNIQUE NOT NULL,
    ip_address INET,
    user_agent TEXT,
    capabilities JSONB NOT NULL DEFAULT '[]',
    connected_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    last_activity TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    disconnected_at TIMESTAMP WITH TIME ZONE,
    is_active BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE INDEX idx_client_sessions_network_id ON client_sessions(network_id);
CREATE INDEX idx_client_sessions_client_id ON client_sessions(client_id);
CREATE INDEX idx_client_sessions_token ON client_sessions(session_token);
CREATE INDEX idx_client_sessions_active ON client_sessions(is_active);
