-- SPDX-License-Identifier: MIT
-- Compress payloads with lz4 instead of pglz (PostgreSQL 14+ built with
-- lz4, as Debian's is).  A 6-13 kB GitHub body is compressed on every
-- insert and decompressed by every trace page that reads it; lz4 does both
-- several times faster for about 15% more bytes (bench/RESULTS.md).
-- Only rows written from now on use it; existing rows keep pglz and stay
-- readable.  The setting of the partitioned table reaches the partitions
-- created later (instlog_ensure_partitions); existing partitions are set
-- one by one (a catalog change: no rewrite).  A server without lz4 keeps
-- pglz, with a notice.
DO $$
DECLARE
	r regclass;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_settings
	    WHERE name = 'default_toast_compression'
	    AND 'lz4' = ANY (enumvals)) THEN
		RAISE NOTICE 'this server has no lz4: payloads stay pglz';
		RETURN;
	END IF;
	ALTER TABLE installation_events ALTER COLUMN payload
	    SET COMPRESSION lz4;
	FOR r IN SELECT inhrelid::regclass FROM pg_inherits
	    WHERE inhparent = 'installation_events'::regclass LOOP
		EXECUTE format('ALTER TABLE %s ALTER COLUMN payload '
		    'SET COMPRESSION lz4', r);
	END LOOP;
END;
$$;
