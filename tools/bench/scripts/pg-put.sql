-- pgbench: one single-key write (upsert) of a 100-byte value as the
-- connected tenant; the policy's WITH CHECK refuses any other tenant's row.
-- -D keys=N.
\set k random(0, :keys - 1)
INSERT INTO kv (tenant, key, value) VALUES (current_user, 'k' || :k, convert_to(repeat('v', 100), 'UTF8'))
  ON CONFLICT (tenant, key) DO UPDATE SET value = excluded.value;
