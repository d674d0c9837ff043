-- A plan is confirmed once: while a job with the same plan (hash) for the
-- same environment is awaiting approval, queued, running or stuck, a second
-- confirm of that plan is refused by the database (a double click, a replayed
-- request, two replicas). Once the job has ended, the live state it was
-- planned from has moved, so the same plan cannot come back by accident.
CREATE UNIQUE INDEX jobs_one_active_per_plan ON jobs (environment, plan_hash)
    WHERE state IN ('awaiting_approval', 'queued', 'running', 'stuck');
