-- Usage (issue 10 §5): the hourly roll-up's schedule, seeded once. It
-- records each tenant service's stored bytes for the hour and prunes old
-- usage rows (src/usage/README.md). Its first run is the next hour's
-- minute 5; an operator may change or delete it like any schedule.
INSERT INTO cron_jobs (name, schedule, kind, payload, enabled, next_run, created_at, updated_at)
VALUES ('usage.rollup', '5 * * * *', 'usage.rollup', '{}', 1,
        (CAST(strftime('%s', 'now') AS INTEGER) / 3600 + 1) * 3600000 + 300000,
        CAST(strftime('%s', 'now') AS INTEGER) * 1000,
        CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (name) DO NOTHING;
