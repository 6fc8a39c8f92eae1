"""The SQLite schema, as ordered migrations; `PRAGMA user_version` says how many ran."""

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE jobs (
        job_id           TEXT PRIMARY KEY,
        name             TEXT NOT NULL,
        score_path       TEXT NOT NULL,
        workspace        TEXT NOT NULL,
        status           TEXT NOT NULL,
        submitted_at     REAL NOT NULL,
        started_at       REAL,
        finished_at      REAL,
        error            TEXT,
        total_sheets     INTEGER NOT NULL,
        completed_sheets INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE INDEX jobs_by_status ON jobs (status);
    CREATE INDEX jobs_by_submitted ON jobs (submitted_at DESC);

    CREATE TABLE job_specs (
        job_id     TEXT PRIMARY KEY REFERENCES jobs (job_id) ON DELETE CASCADE,
        plan       TEXT NOT NULL,
        snapshot   TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE sheets (
        job_id     TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
        num        INTEGER NOT NULL,
        status     TEXT NOT NULL,
        updated_at REAL NOT NULL,
        attempts   INTEGER NOT NULL,
        failures   INTEGER NOT NULL,
        error      TEXT,
        blocked_by INTEGER,
        PRIMARY KEY (job_id, num)
    ) WITHOUT ROWID;

    CREATE TABLE attempts (
        job_id      TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
        sheet       INTEGER NOT NULL,
        attempt     INTEGER NOT NULL,
        started_at  REAL NOT NULL,
        outcome     TEXT NOT NULL,
        exited_at   REAL,
        ended_at    REAL,
        exit_code   INTEGER,
        signal      INTEGER,
        error       TEXT,
        validations TEXT,
        pid         INTEGER,
        pgid        INTEGER,
        start_ticks INTEGER,
        PRIMARY KEY (job_id, sheet, attempt)
    ) WITHOUT ROWID;
    """,
    """
    ALTER TABLE jobs ADD COLUMN detail TEXT;
    ALTER TABLE jobs ADD COLUMN chain_depth INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN cost REAL NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN resume_when_idle INTEGER NOT NULL DEFAULT 0;

    ALTER TABLE sheets ADD COLUMN completions INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sheets ADD COLUMN rate_waits INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sheets ADD COLUMN fallback INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sheets ADD COLUMN due REAL;
    ALTER TABLE sheets ADD COLUMN wait TEXT;
    ALTER TABLE sheets ADD COLUMN failed_checks TEXT;
    ALTER TABLE sheets ADD COLUMN cost REAL NOT NULL DEFAULT 0;

    ALTER TABLE attempts ADD COLUMN instrument TEXT;
    ALTER TABLE attempts ADD COLUMN model TEXT;
    ALTER TABLE attempts ADD COLUMN mode TEXT NOT NULL DEFAULT 'normal';
    ALTER TABLE attempts ADD COLUMN cost REAL;

    CREATE TABLE rate_limits (
        instrument TEXT NOT NULL,
        model      TEXT NOT NULL,   -- '' when the window holds every model
        until      REAL NOT NULL,
        reason     TEXT NOT NULL,
        PRIMARY KEY (instrument, model)
    ) WITHOUT ROWID;

    CREATE TABLE job_history (
        id     INTEGER PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
        at     REAL NOT NULL,
        text   TEXT NOT NULL
    );
    CREATE INDEX job_history_by_job ON job_history (job_id, id);
    """,
    """
    ALTER TABLE attempts ADD COLUMN input_tokens INTEGER;
    ALTER TABLE attempts ADD COLUMN output_tokens INTEGER;
    ALTER TABLE attempts ADD COLUMN cost_estimated INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE attempts ADD COLUMN error_code TEXT;
    CREATE INDEX attempts_by_code ON attempts (error_code) WHERE error_code IS NOT NULL;
    """,
    """
    ALTER TABLE jobs ADD COLUMN hook INTEGER NOT NULL DEFAULT 0;

    CREATE TABLE hook_results (
        job_id      TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
        num         INTEGER NOT NULL,
        type        TEXT NOT NULL,
        label       TEXT NOT NULL,
        description TEXT,
        started_at  REAL NOT NULL,
        outcome     TEXT NOT NULL,
        ended_at    REAL,
        exit_code   INTEGER,
        error       TEXT,
        output      TEXT NOT NULL DEFAULT '',
        chained_job TEXT,
        pid         INTEGER,
        pgid        INTEGER,
        start_ticks INTEGER,
        PRIMARY KEY (job_id, num)
    ) WITHOUT ROWID;
    """,
    """
    CREATE TABLE fleets (
        fleet_id   TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        path       TEXT NOT NULL,
        status     TEXT NOT NULL,
        reason     TEXT,
        created_at REAL NOT NULL,
        ended_at   REAL,
        groups     TEXT NOT NULL    -- JSON: {group: [the groups it depends on]}
    ) WITHOUT ROWID;

    CREATE TABLE fleet_members (
        fleet_id   TEXT NOT NULL REFERENCES fleets (fleet_id) ON DELETE CASCADE,
        num        INTEGER NOT NULL,
        score_path TEXT NOT NULL,
        grp        TEXT,
        job_id     TEXT,            -- given before the job is submitted
        submitted  INTEGER NOT NULL DEFAULT 0,
        error      TEXT,
        PRIMARY KEY (fleet_id, num)
    ) WITHOUT ROWID;
    CREATE INDEX fleet_members_by_job ON fleet_members (job_id) WHERE job_id IS NOT NULL;
    """,
    """
    CREATE TABLE worktrees (
        job_id             TEXT PRIMARY KEY,  -- no reference: written before the job's row
        repo               TEXT NOT NULL,
        path               TEXT NOT NULL,
        branch             TEXT NOT NULL,
        base_commit        TEXT NOT NULL,
        workspace          TEXT NOT NULL,
        cleanup_on_success INTEGER NOT NULL,
        cleanup_on_failure INTEGER NOT NULL,
        lock_while_running INTEGER NOT NULL,
        removed_at         REAL
    ) WITHOUT ROWID;
    """,
    """
    ALTER TABLE attempts ADD COLUMN spawned_at REAL;  -- when the process started running
    CREATE INDEX hook_results_by_chained_job ON hook_results (chained_job)
        WHERE chained_job IS NOT NULL;
    CREATE INDEX jobs_by_score ON jobs (score_path, submitted_at DESC);
    """,
    """
    ALTER TABLE job_specs ADD COLUMN submit_key TEXT;  -- the client's idempotency key
    CREATE UNIQUE INDEX job_specs_by_submit_key ON job_specs (submit_key)
        WHERE submit_key IS NOT NULL;
    ALTER TABLE fleets ADD COLUMN submit_key TEXT;
    CREATE UNIQUE INDEX fleets_by_submit_key ON fleets (submit_key)
        WHERE submit_key IS NOT NULL;
    """,
    """
    -- The variables the submitting shell carried for the job's instruments (a JSON object);
    -- NULL: the job runs with the conductor's environment alone. It may hold credentials:
    -- kept here only, in the private state folder, never in the job's card.
    ALTER TABLE job_specs ADD COLUMN environment TEXT;
    ALTER TABLE fleets ADD COLUMN environment TEXT;  -- the same, for the fleet's jobs
    """,
    """
    -- Approval questions: the latest of each sheet asked one, open until answered.
    CREATE TABLE approvals (
        job_id         TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
        sheet          INTEGER NOT NULL,
        name           TEXT NOT NULL,
        message        TEXT NOT NULL,
        point          TEXT NOT NULL,   -- before, or after_checks
        asked_at       REAL NOT NULL,
        deadline       REAL,
        on_timeout     TEXT NOT NULL,
        context        TEXT NOT NULL,
        input_schema   TEXT,
        answer         TEXT,
        answered_at    REAL,
        answered_by    TEXT,
        note           TEXT,
        prompt         TEXT,
        replace_prompt INTEGER NOT NULL,
        expired        INTEGER NOT NULL,
        PRIMARY KEY (job_id, sheet)
    ) WITHOUT ROWID;
    CREATE INDEX open_approvals ON approvals (asked_at) WHERE answer IS NULL;
    """,
    """
    -- Waits for a spent quota (E104), counted apart from rate limits' (max_quota_waits).
    ALTER TABLE sheets ADD COLUMN quota_waits INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE attempts ADD COLUMN feedback TEXT;  -- the agent's feedback block, as JSON
    ALTER TABLE attempts ADD COLUMN review TEXT;  -- the AI review of its work, as JSON
    -- A job's failed attempts, newest first: the lessons of later prompts. Empty for a job
    -- that never failed, so asking costs nothing there.
    CREATE INDEX failed_attempts_by_job ON attempts (job_id, started_at DESC)
        WHERE error_code IS NOT NULL;
    """,
)
