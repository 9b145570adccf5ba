-- projects service, SQLite dialect, 0001: teams, projects, tasks, messages.
CREATE TABLE teams (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX teams_name ON teams (name);
CREATE INDEX teams_owner ON teams (owner_id);
CREATE INDEX teams_created ON teams (created_at, id);

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    team_id     TEXT REFERENCES teams (id) ON DELETE SET NULL,
    name        TEXT NOT NULL,
    description TEXT,
    status      TEXT NOT NULL DEFAULT 'active',
    due_at      TEXT,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX projects_team ON projects (team_id);
CREATE INDEX projects_name ON projects (name);
CREATE INDEX projects_status ON projects (status);
CREATE INDEX projects_due ON projects (due_at);
CREATE INDEX projects_owner ON projects (owner_id);
CREATE INDEX projects_created ON projects (created_at, id);

CREATE TABLE tasks (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    description TEXT,
    status      TEXT NOT NULL DEFAULT 'todo',
    priority    TEXT NOT NULL DEFAULT 'normal',
    assignee_id TEXT,
    due_at      TEXT,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX tasks_project ON tasks (project_id);
CREATE INDEX tasks_title ON tasks (title);
CREATE INDEX tasks_status ON tasks (status);
CREATE INDEX tasks_priority ON tasks (priority);
CREATE INDEX tasks_assignee ON tasks (assignee_id);
CREATE INDEX tasks_due ON tasks (due_at);
CREATE INDEX tasks_owner ON tasks (owner_id);
CREATE INDEX tasks_created ON tasks (created_at, id);

CREATE TABLE messages (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    owner_id   TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX messages_project ON messages (project_id, created_at);
CREATE INDEX messages_owner ON messages (owner_id);
CREATE INDEX messages_created ON messages (created_at, id);
