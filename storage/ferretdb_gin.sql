-- Indexes FerretDB 1.24 can use, on the embedded PostgreSQL cluster (storage/embedded.py runs
-- this file at every start, before FerretDB; it is idempotent).
--
-- FerretDB filters an equality as `_jsonb->$1 @> $2` and indexes a declared MongoDB index as a
-- btree on `(_jsonb->'field')`, which that operator cannot use: every query, `_id` included,
-- scanned its whole table. With custom plans (`plan_cache_mode = force_custom_plan`, set on
-- the cluster) PostgreSQL sees the field name, and a GIN index (jsonb_path_ops) on the same
-- expression serves `@>`. So each btree FerretDB creates on `_jsonb` gets a GIN twin per
-- column: at creation (the event trigger) and, for tables made before, here.

CREATE OR REPLACE FUNCTION xueji_gin_twins(btree regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    idx pg_index;
    expression text;
    twin text;
BEGIN
    SELECT * INTO idx FROM pg_index WHERE indexrelid = btree;
    IF NOT FOUND OR (SELECT amname FROM pg_am JOIN pg_class c ON c.relam = pg_am.oid WHERE c.oid = btree) <> 'btree' THEN
        RETURN;
    END IF;
    FOR k IN 1..idx.indnatts LOOP
        expression := pg_get_indexdef(btree, k, true);
        CONTINUE WHEN expression !~ '^\(?_jsonb -> ''[^'']+''::text\)?$';
        twin := left((SELECT relname FROM pg_class WHERE oid = idx.indrelid), 40) || '_gin_' || left(md5(expression), 12);
        EXECUTE format(
            'CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((%s) jsonb_path_ops)',
            twin, idx.indrelid::regclass, trim(BOTH '()' FROM expression)
        );
    END LOOP;
EXCEPTION WHEN others THEN
    -- An index is an optimisation: FerretDB's own statement must never fail because of it.
    RAISE WARNING 'no GIN twin for %: %', btree, SQLERRM;
END;
$$;

CREATE OR REPLACE FUNCTION xueji_gin_twins_on_create() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    command record;
BEGIN
    FOR command IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'index' LOOP
        PERFORM xueji_gin_twins(command.objid::regclass);
    END LOOP;
END;
$$;

DROP EVENT TRIGGER IF EXISTS xueji_gin_twins;
CREATE EVENT TRIGGER xueji_gin_twins ON ddl_command_end WHEN TAG IN ('CREATE INDEX', 'CREATE TABLE')
    EXECUTE FUNCTION xueji_gin_twins_on_create();

SELECT count(xueji_gin_twins(i.indexrelid::regclass))
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = '_jsonb');
