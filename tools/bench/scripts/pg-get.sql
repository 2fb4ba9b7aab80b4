-- pgbench: one single-key read of the connected tenant's row; the row-level
-- security policy adds tenant = current_user. -D keys=N.
\set k random(0, :keys - 1)
SELECT value FROM kv WHERE key = 'k' || :k;
