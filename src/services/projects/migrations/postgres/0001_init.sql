-- projects service, PostgreSQL dialect, 0001: teams, projects, tasks, messages.
CREATE SCHEMA projects;
CREATE TABLE projects.teams (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX teams_name ON projects.teams (name);
CREATE INDEX teams_owner ON projects.teams (owner_id);
CREATE INDEX teams_created ON projects.teams (created_at, id);

CREATE TABLE projects.projects (
    id          TEXT PRIMARY KEY,
    team_id     TEXT REFERENCES projects.teams (id) ON DELETE SET NULL,
    name        TEXT NOT NULL,
    description TEXT,
    status      TEXT NOT NULL DEFAULT 'active',
    due_at      TEXT,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX projects_team ON projects.projects (team_id);
CREATE INDEX projects_name ON projects.projects (name);
CREATE INDEX projects_status ON projects.projects (status);
CREATE INDEX projects_due ON projects.projects (due_at);
CREATE INDEX projects_owner ON projects.projects (owner_id);
CREATE INDEX projects_created ON projects.projects (created_at, id);

CREATE TABLE projects.tasks (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects.projects (id) ON DELETE CASCADE,
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
CREATE INDEX tasks_project ON projects.tasks (project_id);
CREATE INDEX tasks_title ON projects.tasks (title);
CREATE INDEX tasks_status ON projects.tasks (status);
CREATE INDEX tasks_priority ON projects.tasks (priority);
CREATE INDEX tasks_assignee ON projects.tasks (assignee_id);
CREATE INDEX tasks_due ON projects.tasks (due_at);
CREATE INDEX tasks_owner ON projects.tasks (owner_id);
CREATE INDEX tasks_created ON projects.tasks (created_at, id);

CREATE TABLE projects.messages (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects.projects (id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    owner_id   TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX messages_project ON projects.messages (project_id, created_at);
CREATE INDEX messages_owner ON projects.messages (owner_id);
CREATE INDEX messages_created ON projects.messages (created_at, id);
