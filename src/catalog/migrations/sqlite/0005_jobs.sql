-- The job queue: work that runs outside requests, in workers of `tenantd
-- serve` or `tenantd jobs run`. Times are unix milliseconds. A worker owns
-- a running job while lease_until is ahead; past it, any worker may claim
-- the job again, and the handler resumes from step/checkpoint (the last
-- progress it recorded).
CREATE TABLE job_queue (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    tenant_id    TEXT,
    payload      TEXT NOT NULL DEFAULT '{}',
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_after    BIGINT NOT NULL,
    step         INTEGER NOT NULL DEFAULT 0,
    done         BIGINT NOT NULL DEFAULT 0,
    total        BIGINT NOT NULL DEFAULT 0,
    message      TEXT,
    checkpoint   TEXT,
    error        TEXT,
    lease_owner  TEXT,
    lease_until  BIGINT,
    created_by   TEXT,
    created_at   BIGINT NOT NULL,
    started_at   BIGINT,
    updated_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX job_queue_due ON job_queue (state, run_after);
CREATE INDEX job_queue_kind ON job_queue (kind, id);
CREATE INDEX job_queue_tenant ON job_queue (tenant_id, id);

-- Schedules: each enabled row queues a job of its kind at next_run, then
-- moves next_run to the schedule's next minute. The move is a conditional
-- UPDATE, so of several workers one fires it; each firing is recorded.
CREATE TABLE cron_jobs (
    name       TEXT PRIMARY KEY,
    schedule   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL DEFAULT '{}',
    enabled    INTEGER NOT NULL DEFAULT 1,
    next_run   BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cron_jobs_due ON cron_jobs (enabled, next_run);

CREATE TABLE cron_job_executions (
    id            TEXT PRIMARY KEY,
    cron_name     TEXT NOT NULL,
    job_id        TEXT NOT NULL,
    scheduled_for BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (cron_name, scheduled_for)
);
