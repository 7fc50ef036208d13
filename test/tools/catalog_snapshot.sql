/*
 * catalog_snapshot.sql: the catalog of one extension as normalized text, one
 * line per property:
 *
 *     <object> | <property> | <value>
 *
 * <object> is pg_identify_object's type and identity ("function
 * csstats.business_seconds(timestamp with time zone,timestamp with time
 * zone,text)", "table column csstats.channels.name", "trigger calendar_changed
 * on csstats.channels", ...): never an OID, so the snapshots of two databases
 * can be compared with diff.  A multi-line value (function bodies, view
 * definitions) becomes one line per source line, "<property>#0001", ...
 *
 * Used by test/suites/12_update.sh: an extension updated from 0.1.0 must have
 * the same snapshot as a fresh install of the current version.  (pg_dump
 * --schema-only cannot do this: it leaves out extension members.)
 *
 *     psql -X -At -v ON_ERROR_STOP=1 [-v ext=csstats] [-v ignore_role=ROLE] \
 *          -d DB -f test/tools/catalog_snapshot.sql > DB.catalog
 *
 * ext (default csstats) names the extension; ignore_role leaves that role's
 * privileges out of every ACL (a role the test granted things to in one
 * database only).  Read-only except for session settings; run it inside a
 * transaction to see that transaction's uncommitted changes.
 *
 * Scope: the extension's members (pg_depend deptype 'e') and everything in
 * the schemas of the extension (its namespace, member schemas).  Covered:
 *   - extension: version, schema, relocatable, owner, comment, member set,
 *     pg_extension_config_dump tables and their conditions;
 *   - schemas: owner, ACL, comment;
 *   - functions, procedures, aggregates, window functions: kind, arguments
 *     (names, defaults), result, language, volatility, strictness, parallel
 *     label, security definer, leakproof, cost, rows, support function,
 *     proconfig, probin, body (prosrc, or the deparsed SQL-standard body),
 *     owner, ACL, comment; for aggregates every pg_aggregate field;
 *   - relations (tables, views, materialized views, sequences, indexes,
 *     composite types, foreign tables): kind, persistence, owner, ACL,
 *     options, row security, replica identity, access method, partitioning,
 *     inheritance, typed table, comment; view definitions; sequence
 *     parameters and OWNED BY; index definitions and flags;
 *   - columns (live ones, in attnum order, dropped ones skipped): position,
 *     type and typmod, not null, default, identity, generated, collation,
 *     storage, compression, statistics target, options, ACL, comment;
 *   - constraints (of relations and domains), triggers (not internal ones:
 *     those are the constraints'), rules, policies, extended statistics,
 *     each with its definition and comment;
 *   - types: kind, storage details, I/O functions, element, base type,
 *     default, enum labels in order, range details, owner, ACL, comment;
 *   - pg_init_privs of every object in scope (the ACLs pg_dump starts from).
 * Other member classes (casts, operators, operator classes, ...) appear in
 * the member set; add their properties here when the extension gets one.
 */
\set QUIET on
\pset format unaligned
\pset tuples_only on
\if :{?ext}
\else
\set ext csstats
\endif
\if :{?ignore_role}
\else
\set ignore_role ''
\endif
-- Values print with schema-qualified names whatever the caller's path.
SET search_path = pg_catalog;
SET extra_float_digits = 0;
-- the query is large: compiling it with JIT would take seconds
SET jit = off;

WITH
ext AS (
	SELECT e.* FROM pg_extension e WHERE e.extname = :'ext'
),
member AS (
	SELECT d.classid, d.objid, d.objsubid
	FROM pg_depend d JOIN ext ON d.refobjid = ext.oid
	WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
),
nsp AS (
	SELECT extnamespace AS oid FROM ext
	UNION
	SELECT objid FROM member WHERE classid = 'pg_namespace'::regclass
),
rel AS (
	SELECT c.* FROM pg_class c
	WHERE c.relnamespace IN (SELECT oid FROM nsp)
		OR c.oid IN (SELECT objid FROM member WHERE classid = 'pg_class'::regclass)
),
fn AS (
	SELECT p.* FROM pg_proc p
	WHERE p.pronamespace IN (SELECT oid FROM nsp)
		OR p.oid IN (SELECT objid FROM member WHERE classid = 'pg_proc'::regclass)
),
typ AS (
	SELECT t.* FROM pg_type t
	WHERE t.typnamespace IN (SELECT oid FROM nsp)
		OR t.oid IN (SELECT objid FROM member WHERE classid = 'pg_type'::regclass)
),
con AS (
	SELECT k.* FROM pg_constraint k
	WHERE k.conrelid IN (SELECT oid FROM rel) OR k.contypid IN (SELECT oid FROM typ)
		OR k.connamespace IN (SELECT oid FROM nsp)
),
-- every object in scope, for comments and initial privileges
obj AS (
	SELECT 'pg_namespace'::regclass AS classid, oid AS objid, 0 AS objsubid FROM nsp
	UNION SELECT 'pg_class'::regclass, oid, 0 FROM rel
	UNION SELECT 'pg_class'::regclass, a.attrelid, a.attnum FROM pg_attribute a
		WHERE a.attrelid IN (SELECT oid FROM rel) AND a.attnum > 0 AND NOT a.attisdropped
	UNION SELECT 'pg_proc'::regclass, oid, 0 FROM fn
	UNION SELECT 'pg_type'::regclass, oid, 0 FROM typ
	UNION SELECT 'pg_constraint'::regclass, oid, 0 FROM con
	UNION SELECT 'pg_trigger'::regclass, t.oid, 0 FROM pg_trigger t
		WHERE t.tgrelid IN (SELECT oid FROM rel) AND NOT t.tgisinternal
	UNION SELECT 'pg_rewrite'::regclass, r.oid, 0 FROM pg_rewrite r
		WHERE r.ev_class IN (SELECT oid FROM rel)
	UNION SELECT 'pg_policy'::regclass, p.oid, 0 FROM pg_policy p
		WHERE p.polrelid IN (SELECT oid FROM rel)
	UNION SELECT 'pg_statistic_ext'::regclass, s.oid, 0 FROM pg_statistic_ext s
		WHERE s.stxnamespace IN (SELECT oid FROM nsp)
	UNION SELECT classid, objid, objsubid FROM member
),
-- an ACL as one normalized item per line (NULL = the object type's default)
acl AS (
	SELECT x.classid, x.objid, x.objsubid, x.acl, x.owner, x.objtype
	FROM (
		SELECT 'pg_namespace'::regclass AS classid, n.oid AS objid, 0 AS objsubid,
			n.nspacl AS acl, n.nspowner AS owner, 'n'::"char" AS objtype
		FROM pg_namespace n WHERE n.oid IN (SELECT oid FROM nsp)
		UNION ALL SELECT 'pg_class'::regclass, c.oid, 0, c.relacl, c.relowner,
			CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char" FROM rel c
		UNION ALL SELECT 'pg_class'::regclass, a.attrelid, a.attnum, a.attacl, c.relowner, 'c'
		FROM pg_attribute a JOIN rel c ON c.oid = a.attrelid
		WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL
		UNION ALL SELECT 'pg_proc'::regclass, p.oid, 0, p.proacl, p.proowner, 'f' FROM fn p
		UNION ALL SELECT 'pg_type'::regclass, t.oid, 0, t.typacl, t.typowner, 'T' FROM typ t
	) x
),
aclitem_line AS (
	SELECT a.classid, a.objid, a.objsubid,
		format('%s: %s%s (granted by %s)',
			CASE WHEN i.grantee = 0 THEN 'PUBLIC' ELSE i.grantee::regrole::text END,
			i.privilege_type, CASE WHEN i.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END,
			i.grantor::regrole::text) AS line
	FROM acl a,
		LATERAL aclexplode(coalesce(a.acl, CASE WHEN a.objtype = 'c' THEN NULL
			ELSE acldefault(a.objtype, a.owner) END)) i
	WHERE i.grantee = 0 OR i.grantee::regrole::text <> :'ignore_role'
),
prop(classid, objid, objsubid, property, value) AS (
	-- the extension
	SELECT 'pg_extension'::regclass, ext.oid, 0, p.property, p.value
	FROM ext, LATERAL (VALUES
		('version', ext.extversion),
		('relocatable', ext.extrelocatable::text),
		('schema', ext.extnamespace::regnamespace::text),
		('owner', ext.extowner::regrole::text),
		('comment', obj_description(ext.oid, 'pg_extension'))) p(property, value)
	UNION ALL
	SELECT 'pg_extension'::regclass, ext.oid, 0, 'member',
		(pg_identify_object(m.classid, m.objid, m.objsubid)).type || ' '
			|| (pg_identify_object(m.classid, m.objid, m.objsubid)).identity
	FROM ext, member m
	UNION ALL
	SELECT 'pg_extension'::regclass, ext.oid, 0,
		'config dump ' || c.cfg::regclass::text, coalesce(c.cond, '(null)')
	FROM ext, LATERAL unnest(ext.extconfig, ext.extcondition) AS c(cfg, cond)

	-- schemas
	UNION ALL
	SELECT 'pg_namespace'::regclass, n.oid, 0, 'owner', n.nspowner::regrole::text
	FROM pg_namespace n WHERE n.oid IN (SELECT oid FROM nsp)

	-- functions, procedures, aggregates
	UNION ALL
	SELECT 'pg_proc'::regclass, p.oid, 0, x.property, x.value
	FROM fn p, LATERAL (VALUES
		('kind', p.prokind::text),
		('arguments', pg_get_function_arguments(p.oid)),
		('result', pg_get_function_result(p.oid)),
		('returns set', p.proretset::text),
		('language', (SELECT l.lanname::text FROM pg_language l WHERE l.oid = p.prolang)),
		('volatility', p.provolatile::text),
		('strict', p.proisstrict::text),
		('parallel', p.proparallel::text),
		('security definer', p.prosecdef::text),
		('leakproof', p.proleakproof::text),
		('cost', p.procost::text),
		('rows', p.prorows::text),
		('support', p.prosupport::regprocedure::text),
		('config', p.proconfig::text),
		('owner', p.proowner::regrole::text),
		('probin', p.probin),
		('body', CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid)
			ELSE p.prosrc END)) x(property, value)
	UNION ALL
	SELECT 'pg_proc'::regclass, a.aggfnoid, 0, 'aggregate ' || x.property, x.value
	FROM pg_aggregate a JOIN fn p ON p.oid = a.aggfnoid, LATERAL (VALUES
		('kind', a.aggkind::text),
		('direct args', a.aggnumdirectargs::text),
		('transfn', a.aggtransfn::regprocedure::text),
		('finalfn', a.aggfinalfn::regprocedure::text),
		('combinefn', a.aggcombinefn::regprocedure::text),
		('serialfn', a.aggserialfn::regprocedure::text),
		('deserialfn', a.aggdeserialfn::regprocedure::text),
		('mtransfn', a.aggmtransfn::regprocedure::text),
		('minvtransfn', a.aggminvtransfn::regprocedure::text),
		('mfinalfn', a.aggmfinalfn::regprocedure::text),
		('finalextra', a.aggfinalextra::text),
		('mfinalextra', a.aggmfinalextra::text),
		('finalmodify', a.aggfinalmodify::text),
		('mfinalmodify', a.aggmfinalmodify::text),
		('sortop', a.aggsortop::regoperator::text),
		('transtype', a.aggtranstype::regtype::text),
		('transspace', a.aggtransspace::text),
		('mtranstype', a.aggmtranstype::regtype::text),
		('mtransspace', a.aggmtransspace::text),
		('initval', a.agginitval),
		('minitval', a.aggminitval)) x(property, value)

	-- relations
	UNION ALL
	SELECT 'pg_class'::regclass, c.oid, 0, x.property, x.value
	FROM rel c, LATERAL (VALUES
		('relkind', c.relkind::text),
		('persistence', c.relpersistence::text),
		('owner', c.relowner::regrole::text),
		('options', c.reloptions::text),
		('row security', c.relrowsecurity::text),
		('force row security', c.relforcerowsecurity::text),
		('replica identity', c.relreplident::text),
		('tablespace', CASE WHEN c.reltablespace = 0 THEN 'default'
			ELSE (SELECT s.spcname::text FROM pg_tablespace s WHERE s.oid = c.reltablespace) END),
		('access method', (SELECT am.amname::text FROM pg_am am WHERE am.oid = c.relam)),
		('typed table of', CASE WHEN c.reloftype <> 0 THEN c.reloftype::regtype::text END),
		('partition key', CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END),
		('partition of', CASE WHEN c.relispartition THEN (SELECT i.inhparent::regclass::text
			FROM pg_inherits i WHERE i.inhrelid = c.oid) || ' ' || pg_get_expr(c.relpartbound, c.oid) END),
		('view definition', CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END))
		x(property, value)
	UNION ALL
	SELECT 'pg_class'::regclass, i.inhrelid, 0, 'inherits #' || i.inhseqno, i.inhparent::regclass::text
	FROM pg_inherits i JOIN rel c ON c.oid = i.inhrelid WHERE NOT c.relispartition
	UNION ALL
	SELECT 'pg_class'::regclass, s.seqrelid, 0, x.property, x.value
	FROM pg_sequence s JOIN rel c ON c.oid = s.seqrelid, LATERAL (VALUES
		('sequence type', s.seqtypid::regtype::text),
		('sequence start', s.seqstart::text),
		('sequence increment', s.seqincrement::text),
		('sequence min', s.seqmin::text),
		('sequence max', s.seqmax::text),
		('sequence cache', s.seqcache::text),
		('sequence cycle', s.seqcycle::text)) x(property, value)
	UNION ALL
	SELECT 'pg_class'::regclass, d.objid, 0,
		CASE d.deptype WHEN 'i' THEN 'identity sequence of' ELSE 'owned by' END,
		pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid)
	FROM pg_depend d JOIN rel c ON c.oid = d.objid AND c.relkind = 'S'
	WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
		AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
	UNION ALL
	SELECT 'pg_class'::regclass, x.indexrelid, 0, p.property, p.value
	FROM pg_index x JOIN rel c ON c.oid = x.indexrelid, LATERAL (VALUES
		('index definition', pg_get_indexdef(x.indexrelid)),
		('index clustered', x.indisclustered::text),
		('index replica identity', x.indisreplident::text),
		('index valid', x.indisvalid::text)) p(property, value)

	-- columns: position among the live columns, in attnum order
	UNION ALL
	SELECT 'pg_class'::regclass, a.attrelid, a.attnum, x.property, x.value
	FROM (SELECT a.*, row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS position
		FROM pg_attribute a JOIN rel c ON c.oid = a.attrelid
		WHERE a.attnum > 0 AND NOT a.attisdropped) a,
	LATERAL (VALUES
		('position', a.position::text),
		('type', format_type(a.atttypid, a.atttypmod)),
		('not null', a.attnotnull::text),
		('default', (SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
			WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum)),
		('identity', nullif(a.attidentity::text, '')),
		('generated', nullif(a.attgenerated::text, '')),
		('collation', CASE WHEN a.attcollation <> 0 THEN a.attcollation::regcollation::text END),
		('storage', a.attstorage::text),
		('compression', nullif(a.attcompression::text, '')),
		('statistics target', a.attstattarget::text),
		-- this server build (Debian's 15.20) keeps pg_attver=<number> in every
		-- column's attoptions, a number that differs between databases
		('options', (SELECT array_agg(o ORDER BY o)::text FROM unnest(a.attoptions) o
			WHERE o NOT LIKE 'pg\_attver=%')),
		('fdw options', a.attfdwoptions::text)) x(property, value)

	-- constraints, triggers, rules, policies, extended statistics
	UNION ALL
	SELECT 'pg_constraint'::regclass, k.oid, 0, x.property, x.value
	FROM con k, LATERAL (VALUES
		('definition', pg_get_constraintdef(k.oid)),
		('validated', k.convalidated::text),
		('local', k.conislocal::text),
		('inherited count', k.coninhcount::text)) x(property, value)
	UNION ALL
	SELECT 'pg_trigger'::regclass, t.oid, 0, x.property, x.value
	FROM pg_trigger t JOIN rel c ON c.oid = t.tgrelid, LATERAL (VALUES
		('definition', pg_get_triggerdef(t.oid)),
		('enabled', t.tgenabled::text)) x(property, value)
	WHERE NOT t.tgisinternal
	UNION ALL
	SELECT 'pg_rewrite'::regclass, r.oid, 0, x.property, x.value
	FROM pg_rewrite r JOIN rel c ON c.oid = r.ev_class, LATERAL (VALUES
		-- a view's _RETURN rule is its definition, compared above
		('definition', CASE WHEN r.rulename <> '_RETURN' THEN pg_get_ruledef(r.oid) END),
		('enabled', r.ev_enabled::text)) x(property, value)
	UNION ALL
	SELECT 'pg_policy'::regclass, p.oid, 0, x.property, x.value
	FROM pg_policy p JOIN rel c ON c.oid = p.polrelid, LATERAL (VALUES
		('command', p.polcmd::text),
		('permissive', p.polpermissive::text),
		('roles', (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE r::regrole::text END, ', '
			ORDER BY 1) FROM unnest(p.polroles) r)),
		('using', pg_get_expr(p.polqual, p.polrelid)),
		('with check', pg_get_expr(p.polwithcheck, p.polrelid))) x(property, value)
	UNION ALL
	SELECT 'pg_statistic_ext'::regclass, s.oid, 0, 'definition', pg_get_statisticsobjdef(s.oid)
	FROM pg_statistic_ext s WHERE s.stxnamespace IN (SELECT oid FROM nsp)

	-- types
	UNION ALL
	SELECT 'pg_type'::regclass, t.oid, 0, x.property, x.value
	FROM typ t, LATERAL (VALUES
		('typtype', t.typtype::text),
		('category', t.typcategory::text),
		('preferred', t.typispreferred::text),
		('length', t.typlen::text),
		('by value', t.typbyval::text),
		('align', t.typalign::text),
		('storage', t.typstorage::text),
		('delimiter', t.typdelim::text),
		('relation', CASE WHEN t.typrelid <> 0 THEN t.typrelid::regclass::text END),
		('element', CASE WHEN t.typelem <> 0 THEN t.typelem::regtype::text END),
		('array type', CASE WHEN t.typarray <> 0 THEN t.typarray::regtype::text END),
		('subscript', t.typsubscript::regprocedure::text),
		('input', t.typinput::regprocedure::text),
		('output', t.typoutput::regprocedure::text),
		('receive', t.typreceive::regprocedure::text),
		('send', t.typsend::regprocedure::text),
		('typmod in', t.typmodin::regprocedure::text),
		('typmod out', t.typmodout::regprocedure::text),
		('analyze', t.typanalyze::regprocedure::text),
		('base type', CASE WHEN t.typbasetype <> 0 THEN format_type(t.typbasetype, t.typtypmod) END),
		('not null', t.typnotnull::text),
		('default', coalesce(pg_get_expr(t.typdefaultbin, 0), t.typdefault)),
		('collation', CASE WHEN t.typcollation <> 0 THEN t.typcollation::regcollation::text END),
		('owner', t.typowner::regrole::text)) x(property, value)
	UNION ALL
	SELECT 'pg_type'::regclass, e.enumtypid, 0, 'enum label',
		format('%s %s', row_number() OVER (PARTITION BY e.enumtypid ORDER BY e.enumsortorder), e.enumlabel)
	FROM pg_enum e JOIN typ t ON t.oid = e.enumtypid
	UNION ALL
	SELECT 'pg_type'::regclass, r.rngtypid, 0, x.property, x.value
	FROM pg_range r JOIN typ t ON t.oid = r.rngtypid, LATERAL (VALUES
		('range subtype', r.rngsubtype::regtype::text),
		('range multirange', r.rngmultitypid::regtype::text),
		('range collation', CASE WHEN r.rngcollation <> 0 THEN r.rngcollation::regcollation::text END),
		('range opclass', (SELECT o.opcname::text FROM pg_opclass o WHERE o.oid = r.rngsubopc)),
		('range canonical', r.rngcanonical::regprocedure::text),
		('range subdiff', r.rngsubdiff::regprocedure::text)) x(property, value)

	-- comments, ACLs and initial privileges of everything in scope
	UNION ALL
	SELECT o.classid, o.objid, o.objsubid, 'comment', d.description
	FROM obj o JOIN pg_description d
		ON d.classoid = o.classid AND d.objoid = o.objid AND d.objsubid = o.objsubid
	UNION ALL
	SELECT classid, objid, objsubid, 'acl', line FROM aclitem_line
	UNION ALL
	SELECT o.classid, o.objid, o.objsubid, 'initial privileges (' || ip.privtype::text || ')',
		format('%s: %s%s (granted by %s)',
			CASE WHEN i.grantee = 0 THEN 'PUBLIC' ELSE i.grantee::regrole::text END,
			i.privilege_type, CASE WHEN i.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END,
			i.grantor::regrole::text)
	FROM obj o JOIN pg_init_privs ip
		ON ip.classoid = o.classid AND ip.objoid = o.objid AND ip.objsubid = o.objsubid,
		LATERAL aclexplode(ip.initprivs) i
	WHERE i.grantee = 0 OR i.grantee::regrole::text <> :'ignore_role'
),
named AS (
	SELECT (pg_identify_object(p.classid, p.objid, p.objsubid)).type || ' '
			|| (pg_identify_object(p.classid, p.objid, p.objsubid)).identity AS object,
		p.property, p.value
	FROM prop p
	WHERE p.value IS NOT NULL
),
line AS (
	SELECT n.object,
		n.property || CASE WHEN n.value LIKE E'%\n%' THEN '#' || lpad(l.nr::text, 4, '0') ELSE '' END
			AS property,
		l.text
	FROM named n, LATERAL regexp_split_to_table(n.value, E'\n') WITH ORDINALITY AS l(text, nr)
)
SELECT format('%s | %s | %s', object, property, text)
FROM line
ORDER BY object COLLATE "C", property COLLATE "C", text COLLATE "C";
