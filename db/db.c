/* db: open, migrate, the statement table, sites, systems, roles, messages. */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db-int.h"
#include "xmalloc.h"

/*
 * Schema migrations: append-only. Entry i takes user_version i to i+1.
 * Never edit a released entry; add a new one.
 */
static const char *const migrations[] = {
	/* 1: the hierarchy, certificates, messages, audit. */
	"CREATE TABLE site ("
	"  id INTEGER PRIMARY KEY,"
	"  code TEXT NOT NULL UNIQUE CHECK (length(code) = 3),"
	"  name TEXT NOT NULL,"
	"  type TEXT NOT NULL CHECK (type IN ('cas','primary','secondary')),"
	"  parent_id INTEGER REFERENCES site(id),"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE site_security ("
	"  site_id INTEGER PRIMARY KEY REFERENCES site(id) ON DELETE CASCADE,"
	"  https_only INTEGER NOT NULL DEFAULT 0,"
	"  enhanced_http INTEGER NOT NULL DEFAULT 0,"
	"  pki_client_cert INTEGER NOT NULL DEFAULT 0,"
	"  crl_check INTEGER NOT NULL DEFAULT 1,"
	"  require_signing INTEGER NOT NULL DEFAULT 0,"
	"  require_sha256 INTEGER NOT NULL DEFAULT 0,"
	"  use_encryption INTEGER NOT NULL DEFAULT 0,"
	"  key_alg TEXT NOT NULL DEFAULT 'rsa2048');"
	"CREATE TABLE trusted_root ("
	"  id INTEGER PRIMARY KEY,"
	"  site_id INTEGER NOT NULL REFERENCES site(id) ON DELETE CASCADE,"
	"  subject TEXT NOT NULL, thumbprint TEXT NOT NULL, der BLOB NOT NULL,"
	"  UNIQUE (site_id, thumbprint));"
	"CREATE TABLE site_system ("
	"  id INTEGER PRIMARY KEY,"
	"  fqdn TEXT NOT NULL UNIQUE,"
	"  site_id INTEGER NOT NULL REFERENCES site(id),"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE role ("
	"  id INTEGER PRIMARY KEY,"
	"  system_id INTEGER NOT NULL REFERENCES site_system(id) ON DELETE CASCADE,"
	"  role TEXT NOT NULL CHECK (role IN ('mp','dp','provider','sup','rsp','smp')),"
	"  connection TEXT NOT NULL DEFAULT '',"
	"  allow_anonymous INTEGER NOT NULL DEFAULT -1,"
	"  UNIQUE (system_id, role));"
	"CREATE TABLE cert ("
	"  id INTEGER PRIMARY KEY,"
	"  type TEXT NOT NULL CHECK (type IN ('root','role','pki')),"
	"  state TEXT NOT NULL CHECK (state IN ('pending','active','superseded','revoked')),"
	"  site_id INTEGER NOT NULL REFERENCES site(id),"
	"  system_id INTEGER REFERENCES site_system(id) ON DELETE SET NULL,"
	"  issuer_id INTEGER REFERENCES cert(id),"
	"  serial TEXT UNIQUE,"
	"  issued_to TEXT NOT NULL DEFAULT '', issued_by TEXT NOT NULL DEFAULT '',"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  not_before INTEGER NOT NULL DEFAULT 0, not_after INTEGER NOT NULL DEFAULT 0,"
	"  thumbprint TEXT UNIQUE, key_alg TEXT NOT NULL DEFAULT '',"
	"  blocked INTEGER NOT NULL DEFAULT 0,"
	"  pending_pid INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE cert_der ("
	"  cert_id INTEGER PRIMARY KEY REFERENCES cert(id) ON DELETE CASCADE,"
	"  der BLOB NOT NULL);"
	"CREATE TABLE cert_key ("
	"  cert_id INTEGER PRIMARY KEY REFERENCES cert(id) ON DELETE CASCADE,"
	"  pkcs8 BLOB NOT NULL);"
	"CREATE TABLE status_message ("
	"  id INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	"  site_id INTEGER REFERENCES site(id) ON DELETE SET NULL,"
	"  severity TEXT NOT NULL CHECK (severity IN ('info','warning','error')),"
	"  component TEXT NOT NULL, message TEXT NOT NULL);"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY, time INTEGER NOT NULL, user TEXT NOT NULL,"
	"  action TEXT NOT NULL, object TEXT NOT NULL, detail TEXT NOT NULL);"
	"CREATE INDEX site_system_site ON site_system(site_id);"
	"CREATE INDEX cert_site ON cert(site_id, type, state);"
	"CREATE INDEX cert_system ON cert(system_id, state);",

	/* 2: agent state; indexes for keyset paging of large inventories. */
	"CREATE TABLE agent ("
	"  system_id INTEGER PRIMARY KEY REFERENCES site_system(id) ON DELETE CASCADE,"
	"  pid INTEGER NOT NULL DEFAULT 0,"
	"  https_port INTEGER NOT NULL DEFAULT 0, http_port INTEGER NOT NULL DEFAULT 0,"
	"  cert_id INTEGER REFERENCES cert(id) ON DELETE SET NULL,"
	"  thumbprint TEXT NOT NULL DEFAULT '', bound_since INTEGER NOT NULL DEFAULT 0,"
	"  health_time INTEGER NOT NULL DEFAULT 0, health_ok INTEGER NOT NULL DEFAULT 0,"
	"  health_status INTEGER NOT NULL DEFAULT 0,"
	"  health_text TEXT NOT NULL DEFAULT '', updated INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX cert_by_expiration ON cert(not_after, id);"
	"CREATE INDEX cert_by_issued_to ON cert(issued_to, id);"
	"CREATE INDEX cert_by_start ON cert(not_before, id);"
	"CREATE INDEX cert_by_status ON status_message(time, id);",

	/* 3: every open looks for pending rows; the other list sorts. */
	"CREATE INDEX cert_pending ON cert(pending_pid) WHERE state = 'pending';"
	"CREATE INDEX cert_by_type ON cert(type, id);"
	"CREATE INDEX cert_by_issued_by ON cert(issued_by, id);"
	"CREATE INDEX cert_by_blocked ON cert(blocked, id);"
	"CREATE INDEX cert_by_thumbprint ON cert(thumbprint, id);",

	/* 4: the intermediate CA certificates an imported PKI certificate is
	 * served with; when a site trusted root CA was added, and its end. */
	"CREATE TABLE cert_chain ("
	"  cert_id INTEGER NOT NULL REFERENCES cert(id) ON DELETE CASCADE,"
	"  pos INTEGER NOT NULL, der BLOB NOT NULL,"
	"  PRIMARY KEY (cert_id, pos));"
	"ALTER TABLE trusted_root ADD COLUMN not_after INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE trusted_root ADD COLUMN added INTEGER NOT NULL DEFAULT 0;",

	/* 5: one agent per site system: who holds the row (host, pid, since
	 * when) and until when its lease runs without a refresh. */
	"ALTER TABLE agent ADD COLUMN host TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE agent ADD COLUMN started INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE agent ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;",

	/* 6: counts without a scan (the console's first screen on a million
	 * certificates): certificates per site, type, state and blocked flag,
	 * kept by triggers (a group that empties goes, so a change undone,
	 * such as issuance dropping its pending rows, leaves the database as
	 * it was); expiring ones counted from an index alone. */
	"CREATE TABLE cert_tally ("
	"  site_id INTEGER NOT NULL, type TEXT NOT NULL, state TEXT NOT NULL,"
	"  blocked INTEGER NOT NULL, n INTEGER NOT NULL,"
	"  PRIMARY KEY (site_id, type, state, blocked)) WITHOUT ROWID;"
	"INSERT INTO cert_tally SELECT site_id, type, state, blocked, count(*)"
	"  FROM cert GROUP BY site_id, type, state, blocked;"
	"CREATE TRIGGER cert_tally_insert AFTER INSERT ON cert BEGIN"
	"  INSERT INTO cert_tally VALUES (NEW.site_id, NEW.type, NEW.state,"
	"  NEW.blocked, 1) ON CONFLICT DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER cert_tally_delete AFTER DELETE ON cert BEGIN"
	"  UPDATE cert_tally SET n = n - 1 WHERE site_id = OLD.site_id AND"
	"  type = OLD.type AND state = OLD.state AND blocked = OLD.blocked;"
	"  DELETE FROM cert_tally WHERE n = 0; END;"
	"CREATE TRIGGER cert_tally_update AFTER UPDATE OF site_id, type, state,"
	"  blocked ON cert BEGIN"
	"  UPDATE cert_tally SET n = n - 1 WHERE site_id = OLD.site_id AND"
	"  type = OLD.type AND state = OLD.state AND blocked = OLD.blocked;"
	"  DELETE FROM cert_tally WHERE n = 0;"
	"  INSERT INTO cert_tally VALUES (NEW.site_id, NEW.type, NEW.state,"
	"  NEW.blocked, 1) ON CONFLICT DO UPDATE SET n = n + 1; END;"
	"CREATE INDEX cert_by_state_expiration ON cert(state, not_after, site_id);",

	/* 7: the site server (ehttp-sited): each site's renewal window, the
	 * notices it gave (each once: an expiry at 30, 7, 1 days and expired,
	 * an agent gone silent), its passes, and each agent's poll interval
	 * (silent: no report for two of its polls). */
	"CREATE TABLE site_renewal ("
	"  site_id INTEGER PRIMARY KEY REFERENCES site(id) ON DELETE CASCADE,"
	"  renew_days INTEGER NOT NULL CHECK (renew_days BETWEEN 1 AND 180));"
	"CREATE TABLE notice ("
	"  kind TEXT NOT NULL, object_id INTEGER NOT NULL,"
	"  level INTEGER NOT NULL, time INTEGER NOT NULL,"
	"  PRIMARY KEY (kind, object_id, level)) WITHOUT ROWID;"
	"CREATE TABLE sited_pass ("
	"  id INTEGER PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL,"
	"  started INTEGER NOT NULL, finished INTEGER NOT NULL DEFAULT 0,"
	"  next INTEGER NOT NULL DEFAULT 0, checked INTEGER NOT NULL DEFAULT 0,"
	"  renewed INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,"
	"  warnings INTEGER NOT NULL DEFAULT 0,"
	"  summary TEXT NOT NULL DEFAULT '');"
	"ALTER TABLE agent ADD COLUMN poll_s INTEGER NOT NULL DEFAULT 0;",

	/* 8: a new certificate type, "token" (SMS Token Signing). SQLite
	 * cannot change a CHECK in place: the table is rebuilt as its
	 * documentation says (ALTER TABLE, "making other kinds of table
	 * schema changes"): a new table, the rows copied, the old one
	 * dropped, the new one renamed, then every index and trigger made
	 * again. migrate() runs this with foreign keys off (dropping the
	 * old table must not cascade to cert_der, cert_key, cert_chain or
	 * agent, whose references name "cert" and so find the new table)
	 * and checks them before committing. The tally stays as it was:
	 * the same rows are counted. */
	"CREATE TABLE cert_new ("
	"  id INTEGER PRIMARY KEY,"
	"  type TEXT NOT NULL CHECK (type IN ('root','role','pki','token')),"
	"  state TEXT NOT NULL CHECK (state IN ('pending','active','superseded','revoked')),"
	"  site_id INTEGER NOT NULL REFERENCES site(id),"
	"  system_id INTEGER REFERENCES site_system(id) ON DELETE SET NULL,"
	"  issuer_id INTEGER REFERENCES cert(id),"
	"  serial TEXT UNIQUE,"
	"  issued_to TEXT NOT NULL DEFAULT '', issued_by TEXT NOT NULL DEFAULT '',"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  not_before INTEGER NOT NULL DEFAULT 0, not_after INTEGER NOT NULL DEFAULT 0,"
	"  thumbprint TEXT UNIQUE, key_alg TEXT NOT NULL DEFAULT '',"
	"  blocked INTEGER NOT NULL DEFAULT 0,"
	"  pending_pid INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);"
	"INSERT INTO cert_new (id, type, state, site_id, system_id, issuer_id,"
	"  serial, issued_to, issued_by, subject, not_before, not_after,"
	"  thumbprint, key_alg, blocked, pending_pid, created)"
	"  SELECT id, type, state, site_id, system_id, issuer_id, serial,"
	"  issued_to, issued_by, subject, not_before, not_after, thumbprint,"
	"  key_alg, blocked, pending_pid, created FROM cert;"
	"DROP TABLE cert;"
	"ALTER TABLE cert_new RENAME TO cert;"
	"CREATE INDEX cert_site ON cert(site_id, type, state);"
	"CREATE INDEX cert_system ON cert(system_id, state);"
	"CREATE INDEX cert_by_expiration ON cert(not_after, id);"
	"CREATE INDEX cert_by_issued_to ON cert(issued_to, id);"
	"CREATE INDEX cert_by_start ON cert(not_before, id);"
	"CREATE INDEX cert_pending ON cert(pending_pid) WHERE state = 'pending';"
	"CREATE INDEX cert_by_type ON cert(type, id);"
	"CREATE INDEX cert_by_issued_by ON cert(issued_by, id);"
	"CREATE INDEX cert_by_blocked ON cert(blocked, id);"
	"CREATE INDEX cert_by_thumbprint ON cert(thumbprint, id);"
	"CREATE INDEX cert_by_state_expiration ON cert(state, not_after, site_id);"
	"CREATE TRIGGER cert_tally_insert AFTER INSERT ON cert BEGIN"
	"  INSERT INTO cert_tally VALUES (NEW.site_id, NEW.type, NEW.state,"
	"  NEW.blocked, 1) ON CONFLICT DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER cert_tally_delete AFTER DELETE ON cert BEGIN"
	"  UPDATE cert_tally SET n = n - 1 WHERE site_id = OLD.site_id AND"
	"  type = OLD.type AND state = OLD.state AND blocked = OLD.blocked;"
	"  DELETE FROM cert_tally WHERE n = 0; END;"
	"CREATE TRIGGER cert_tally_update AFTER UPDATE OF site_id, type, state,"
	"  blocked ON cert BEGIN"
	"  UPDATE cert_tally SET n = n - 1 WHERE site_id = OLD.site_id AND"
	"  type = OLD.type AND state = OLD.state AND blocked = OLD.blocked;"
	"  DELETE FROM cert_tally WHERE n = 0;"
	"  INSERT INTO cert_tally VALUES (NEW.site_id, NEW.type, NEW.state,"
	"  NEW.blocked, 1) ON CONFLICT DO UPDATE SET n = n + 1; END;",

	/* 9: clients (issue #14). The hierarchy's one row: its id (a random
	 * UUID, made here once: the issuer of every token the site signs)
	 * and how clients are approved. The registered clients (their
	 * certificates as they sent them) and the bulk registration tokens:
	 * only a token's id, validity and state, never the token. */
	"CREATE TABLE hierarchy ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  uuid TEXT NOT NULL,"
	"  client_approval TEXT NOT NULL DEFAULT 'manual'"
	"  CHECK (client_approval IN ('manual','auto')));"
	"INSERT INTO hierarchy (id, uuid) SELECT 1, lower("
	"  hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' ||"
	"  substr(hex(randomblob(2)), 2) || '-' ||"
	"  substr('89AB', 1 + abs(random() % 4), 1) ||"
	"  substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));"
	"CREATE TABLE client ("
	"  id INTEGER PRIMARY KEY,"
	"  smsid TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  site_id INTEGER NOT NULL REFERENCES site(id) ON DELETE CASCADE,"
	"  thumbprint TEXT NOT NULL UNIQUE,"
	"  sign_der BLOB NOT NULL, enc_der BLOB NOT NULL,"
	"  approved INTEGER NOT NULL DEFAULT 0 CHECK (approved IN (0, 1)),"
	"  approved_by TEXT NOT NULL DEFAULT '',"
	"  blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),"
	"  registered INTEGER NOT NULL,"
	"  last_contact INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX client_by_site ON client(site_id, id);"
	"CREATE INDEX client_blocked ON client(smsid) WHERE blocked = 1;"
	"CREATE TABLE bulk_token ("
	"  id TEXT PRIMARY KEY,"
	"  site_id INTEGER NOT NULL REFERENCES site(id) ON DELETE CASCADE,"
	"  not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,"
	"  blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),"
	"  used INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL) WITHOUT ROWID;",

	/* 10: packages and their content (issue #15). A package's id is its
	 * site's code and 5 upper-case hex digits from the site's counter,
	 * which only grows: an id is never given twice, not even after its
	 * package was removed (a distribution point may still hold it). The
	 * files of each version as added (path, size, SHA-256), and where
	 * each package is distributed: per distribution point, the version,
	 * its state and why it failed. */
	"CREATE TABLE package_seq ("
	"  site_id INTEGER PRIMARY KEY REFERENCES site(id) ON DELETE CASCADE,"
	"  last INTEGER NOT NULL CHECK (last BETWEEN 0 AND 1048575));"
	"CREATE TABLE package ("
	"  id TEXT PRIMARY KEY CHECK (length(id) = 8 AND"
	"  upper(id) = id AND substr(id, 4) NOT GLOB '*[^0-9A-F]*'),"
	"  site_id INTEGER NOT NULL REFERENCES site(id),"
	"  name TEXT NOT NULL CHECK (length(CAST(name AS BLOB)) BETWEEN 1"
	"  AND 256),"
	"  version INTEGER NOT NULL CHECK (version >= 1),"
	"  source TEXT NOT NULL,"
	"  created INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX package_by_site ON package(site_id, id);"
	"CREATE TABLE package_file ("
	"  package_id TEXT NOT NULL REFERENCES package(id) ON DELETE CASCADE,"
	"  version INTEGER NOT NULL CHECK (version >= 1),"
	"  path TEXT NOT NULL CHECK (length(CAST(path AS BLOB)) BETWEEN 1"
	"  AND 1024),"
	"  size INTEGER NOT NULL CHECK (size >= 0),"
	"  sha256 TEXT NOT NULL CHECK (length(sha256) = 64 AND"
	"  sha256 NOT GLOB '*[^0-9a-f]*'),"
	"  PRIMARY KEY (package_id, version, path)) WITHOUT ROWID;"
	"CREATE TABLE package_dp ("
	"  package_id TEXT NOT NULL REFERENCES package(id) ON DELETE CASCADE,"
	"  system_id INTEGER NOT NULL REFERENCES site_system(id)"
	"  ON DELETE CASCADE,"
	"  version INTEGER NOT NULL CHECK (version >= 1),"
	"  state TEXT NOT NULL CHECK (state IN ('distributing','installed',"
	"  'failed','removing')),"
	"  error TEXT NOT NULL DEFAULT '',"
	"  time INTEGER NOT NULL,"
	"  PRIMARY KEY (package_id, system_id)) WITHOUT ROWID;"
	"CREATE INDEX package_dp_by_system ON package_dp(system_id);",

	/* 11: a distribution point may refuse WebDAV listings (PROPFIND:
	 * 405, as IIS without WebDAV browsing). -1 for the other roles, as
	 * allow_anonymous; the DPs already there allow it, as before. */
	"ALTER TABLE role ADD COLUMN allow_propfind INTEGER NOT NULL DEFAULT -1"
	"  CHECK (allow_propfind IN (-1, 0, 1));"
	"UPDATE role SET allow_propfind = 1 WHERE role = 'dp';",

	/* 12: agents on other hosts, which hold no master key. agent_login:
	 * the database login of one system's agent (a PostgreSQL role,
	 * ehttpctl db grant-agent). agent_enroll: the certificate of the key
	 * pair the agent made on its own host (self-signed; the key never
	 * leaves that host), approved by an administrator who compared its
	 * SHA-256 fingerprint. agent_key: each private key that system
	 * serves, encrypted to that certificate (CMS EnvelopedData); the
	 * copies go with the enrollment. */
	"CREATE TABLE agent_login ("
	"  role TEXT PRIMARY KEY,"
	"  system_id INTEGER NOT NULL UNIQUE REFERENCES site_system(id)"
	"  ON DELETE CASCADE,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE agent_enroll ("
	"  system_id INTEGER PRIMARY KEY REFERENCES site_system(id)"
	"  ON DELETE CASCADE,"
	"  cert_der BLOB NOT NULL,"
	"  fingerprint TEXT NOT NULL CHECK (length(fingerprint) = 64 AND"
	"  fingerprint NOT GLOB '*[^0-9A-F]*'),"
	"  host TEXT NOT NULL DEFAULT '',"
	"  requested INTEGER NOT NULL,"
	"  approved INTEGER NOT NULL DEFAULT 0,"
	"  approved_by TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE agent_key ("
	"  cert_id INTEGER NOT NULL REFERENCES cert(id) ON DELETE CASCADE,"
	"  system_id INTEGER NOT NULL REFERENCES agent_enroll(system_id)"
	"  ON DELETE CASCADE,"
	"  cms BLOB NOT NULL,"
	"  PRIMARY KEY (cert_id, system_id)) WITHOUT ROWID;"
	"CREATE INDEX agent_key_by_system ON agent_key(system_id);",

	/* 13: the administration service's bearer tokens (ehttpctl admin
	 * token new): only the SHA-256 of each is kept, with its access
	 * and its end. */
	"CREATE TABLE admin_token ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),"
	"  role TEXT NOT NULL CHECK (role IN ('read-only', 'full')),"
	"  hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64 AND"
	"  hash NOT GLOB '*[^0-9a-f]*'),"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  created_by TEXT NOT NULL DEFAULT '');",

	/* 14: the site system whose agent wrote a status message (NULL: the
	 * site server's, the administrators', one of a system removed since,
	 * or one from before 14: finding the system its text names would
	 * compare every message with every system, minutes on a large site,
	 * with the database locked). On PostgreSQL an agent's login may
	 * write only its own. */
	"ALTER TABLE status_message ADD COLUMN system_id INTEGER"
	"  REFERENCES site_system(id) ON DELETE SET NULL;"
	DB_MIGRATION_14,
};
#define N_MIGRATIONS (sizeof migrations / sizeof migrations[0])
_Static_assert(N_MIGRATIONS == DB_SCHEMA_VERSION, "DB_SCHEMA_VERSION");

/* A status message's columns (status_cols), with its site and writer. */
#define STATUS_COLS \
	"m.id, m.time, coalesce(s.code, ''), m.severity, m.component," \
	" m.message, coalesce(m.system_id, 0), coalesce(y.fqdn, '') FROM" \
	" status_message m LEFT JOIN site s ON s.id = m.site_id" \
	" LEFT JOIN site_system y ON y.id = m.system_id"
#define SITE_COLS \
	"s.id, s.code, s.name, s.type, coalesce(s.parent_id, 0)," \
	" coalesce(p.code, ''), s.created, x.https_only, x.enhanced_http," \
	" x.pki_client_cert, x.crl_check, x.require_signing, x.require_sha256," \
	" x.use_encryption, x.key_alg" \
	" FROM site s JOIN site_security x ON x.site_id = s.id" \
	" LEFT JOIN site p ON p.id = s.parent_id"
#define SYS_COLS \
	"y.id, y.fqdn, y.site_id, s.code, y.created" \
	" FROM site_system y JOIN site s ON s.id = y.site_id"
#define ROLE_COLS \
	"r.id, r.system_id, y.fqdn, y.site_id, r.role, r.connection," \
	" r.allow_anonymous, r.allow_propfind" \
	" FROM role r JOIN site_system y ON y.id = r.system_id" \
	" JOIN site s ON s.id = y.site_id"
#define ENROLL_COLS \
	"e.system_id, y.fqdn, y.site_id, e.fingerprint, e.host, e.requested," \
	" e.approved, e.approved_by, (SELECT count(*) FROM agent_key k" \
	" WHERE k.system_id = e.system_id) FROM agent_enroll e" \
	" JOIN site_system y ON y.id = e.system_id"
#define AGENT_COLS \
	"a.system_id, y.fqdn, a.pid, a.https_port, a.http_port," \
	" coalesce(a.cert_id, 0), a.thumbprint, a.bound_since, a.health_time," \
	" a.health_ok, a.health_status, a.health_text, a.updated, a.host," \
	" a.started, a.lease_until, a.poll_s" \
	" FROM agent a JOIN site_system y ON y.id = a.system_id"

/* Every fixed statement, prepared on its first use (db_stmt()). */
static const char *const stmt_sql[ST_MAX] = {
	[ST_SITE_INSERT] = "INSERT INTO site (code, name, type, parent_id, created)"
	    " VALUES (?1, ?2, ?3, nullif(?4, 0), ?5) RETURNING id",
	[ST_SEC_INSERT] = "INSERT INTO site_security (site_id, https_only,"
	    " enhanced_http, pki_client_cert, crl_check, require_signing,"
	    " require_sha256, use_encryption, key_alg)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_SITE_GET] = "SELECT " SITE_COLS " WHERE s.code = ?1",
	[ST_SITE_GET_ID] = "SELECT " SITE_COLS " WHERE s.id = ?1",
	[ST_SITE_LIST] = "SELECT " SITE_COLS
	    " ORDER BY CASE s.type WHEN 'cas' THEN 0 WHEN 'primary' THEN 1"
	    " ELSE 2 END, s.code",
	[ST_SEC_UPDATE] = "UPDATE site_security SET https_only = ?2,"
	    " enhanced_http = ?3, pki_client_cert = ?4, crl_check = ?5,"
	    " require_signing = ?6, require_sha256 = ?7, use_encryption = ?8,"
	    " key_alg = ?9 WHERE site_id = ?1",
	[ST_SYS_INSERT] = "INSERT INTO site_system (fqdn, site_id, created)"
	    " VALUES (?1, ?2, ?3) RETURNING id",
	[ST_SYS_GET] = "SELECT " SYS_COLS " WHERE y.fqdn = ?1",
	[ST_SYS_GET_ID] = "SELECT " SYS_COLS " WHERE y.id = ?1",
	[ST_SYS_LIST] = "SELECT " SYS_COLS " WHERE ?1 = 0 OR y.site_id = ?1"
	    " ORDER BY s.code, y.fqdn",
	[ST_SYS_DELETE] = "DELETE FROM site_system WHERE id = ?1",
	[ST_ROLE_INSERT] = "INSERT INTO role (system_id, role, connection,"
	    " allow_anonymous, allow_propfind) VALUES (?1, ?2, ?3, ?4, ?5)"
	    " RETURNING id",
	[ST_ROLE_GET] = "SELECT " ROLE_COLS " WHERE r.system_id = ?1 AND r.role = ?2",
	[ST_ROLE_UPDATE] = "UPDATE role SET connection = ?2, allow_anonymous = ?3,"
	    " allow_propfind = ?4 WHERE id = ?1",
	[ST_ROLE_DELETE] = "DELETE FROM role WHERE id = ?1",
	[ST_ROLE_LIST] = "SELECT " ROLE_COLS
	    " WHERE (?2 != 0 AND r.system_id = ?2) OR (?2 = 0 AND (?1 = 0 OR"
	    " y.site_id = ?1))"
	    " ORDER BY s.code, y.fqdn, CASE r.role WHEN 'mp' THEN 0 WHEN 'dp'"
	    " THEN 1 WHEN 'provider' THEN 2 WHEN 'sup' THEN 3 WHEN 'rsp' THEN 4"
	    " ELSE 5 END",
	[ST_STATUS_INSERT] = "INSERT INTO status_message (time, site_id, severity,"
	    " component, message, system_id) VALUES (?1, nullif(?2, 0), ?3,"
	    " ?4, ?5, nullif(?6, 0))",
	[ST_STATUS_LIST] = "SELECT " STATUS_COLS
	    " WHERE ?1 = 0 OR m.site_id = ?1 ORDER BY m.time DESC, m.id DESC"
	    " LIMIT ?2",
	[ST_STATUS_LIST_SYSTEM] = "SELECT " STATUS_COLS
	    " WHERE m.system_id = ?1 ORDER BY m.time DESC, m.id DESC LIMIT ?2",
	[ST_AUDIT_INSERT] = "INSERT INTO audit (time, \"user\", action, object,"
	    " detail)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_AUDIT_LIST] = "SELECT id, time, \"user\", action, object, detail FROM"
	    " audit"
	    " ORDER BY time DESC, id DESC LIMIT ?1",
	[ST_CERT_INSERT] = "INSERT INTO cert (type, state, site_id, system_id,"
	    " issuer_id, serial, issued_to, issued_by, subject, not_before,"
	    " not_after, thumbprint, key_alg, blocked, created, pending_pid)"
	    " VALUES (?1, ?2, ?3, nullif(?4, 0), nullif(?5, 0), nullif(?6, ''),"
	    " ?7, ?8, ?9, ?10, ?11, nullif(?12, ''), ?13, ?14, ?15,"
	    " CASE ?2 WHEN 'pending' THEN ?16 ELSE 0 END) RETURNING id",
	[ST_CERT_COMPLETE] = "UPDATE cert SET state = ?2, serial = ?3,"
	    " issued_to = ?4, issued_by = ?5, subject = ?6, not_before = ?7,"
	    " not_after = ?8, thumbprint = ?9, key_alg = ?10, pending_pid = 0"
	    " WHERE id = ?1",
	[ST_CERT_GET] = "SELECT " DB_CERT_COLS " WHERE c.id = ?1",
	[ST_CERT_GET_TP] = "SELECT " DB_CERT_COLS " WHERE c.thumbprint = upper(?1)",
	[ST_CERT_DER_INSERT] = "INSERT INTO cert_der (cert_id, der) VALUES (?1, ?2)",
	[ST_CERT_DER_GET] = "SELECT der FROM cert_der WHERE cert_id = ?1",
	[ST_KEY_INSERT] = "INSERT INTO cert_key (cert_id, pkcs8) VALUES (?1, ?2)",
	[ST_KEY_GET] = "SELECT pkcs8 FROM cert_key WHERE cert_id = ?1",
	[ST_CERT_SET_STATE] = "UPDATE cert SET state = ?2 WHERE id = ?1",
	[ST_CERT_SET_BLOCKED] = "UPDATE cert SET blocked = ?2 WHERE id = ?1",
	[ST_CERT_SITE_CURRENT] = "SELECT " DB_CERT_COLS " WHERE c.site_id = ?1 AND"
	    " c.type = ?2 AND c.state = 'active' ORDER BY c.id DESC LIMIT 1",
	[ST_CERT_ACTIVE] = "SELECT " DB_CERT_COLS " WHERE c.system_id = ?1 AND"
	    " c.type = ?2 AND c.state = 'active' ORDER BY c.id DESC LIMIT 1",
	/* ST_CERT_ACTIVE for every system of a site (0: all) and both
	 * types at once: one query however many systems (on a server, one
	 * round trip). */
	[ST_CERT_SERVING] = "SELECT " DB_CERT_COLS " WHERE c.id IN"
	    " (SELECT (SELECT a.id FROM cert a WHERE a.system_id = y.id AND"
	    " a.type = 'pki' AND a.state = 'active' ORDER BY a.id DESC LIMIT 1)"
	    " FROM site_system y WHERE ?1 = 0 OR y.site_id = ?1"
	    " UNION ALL"
	    " SELECT (SELECT a.id FROM cert a WHERE a.system_id = y.id AND"
	    " a.type = 'role' AND a.state = 'active' ORDER BY a.id DESC LIMIT 1)"
	    " FROM site_system y WHERE ?1 = 0 OR y.site_id = ?1)"
	    " ORDER BY c.system_id, c.type",
	[ST_CERT_RETIRE_SITE] = "UPDATE cert SET state = ?2 WHERE site_id = ?1"
	    " AND type = 'role' AND state = 'active'",
	[ST_CERT_RETIRE_SYSTEM] = "UPDATE cert SET state = ?2 WHERE system_id = ?1"
	    " AND type IN ('role', 'pki') AND state = 'active'",
	[ST_CERT_PENDING_PIDS] = "SELECT DISTINCT pending_pid FROM cert"
	    " INDEXED BY cert_pending WHERE state = 'pending'",
	[ST_CERT_DROP_PENDING] = "DELETE FROM cert WHERE state = 'pending'"
	    " AND pending_pid = ?1",
	[ST_CERT_ORPHAN_CERTS] = "SELECT count(*) FROM cert c WHERE c.state !="
	    " 'pending' AND (NOT EXISTS (SELECT 1 FROM cert_key k WHERE"
	    " k.cert_id = c.id) OR NOT EXISTS (SELECT 1 FROM cert_der d WHERE"
	    " d.cert_id = c.id))",
	[ST_CERT_ORPHAN_KEYS] = "SELECT count(*) FROM cert_key k WHERE NOT EXISTS"
	    " (SELECT 1 FROM cert c WHERE c.id = k.cert_id AND c.state != 'pending')",
	[ST_KEY_SAMPLE] = "SELECT count(*), coalesce(max(k.cert_id), 0)"
	    " FROM cert_key k JOIN cert_der d ON d.cert_id = k.cert_id",
	[ST_AGENT_UPSERT] = "INSERT INTO agent (system_id, pid, https_port,"
	    " http_port, cert_id, thumbprint, bound_since, updated, host,"
	    " started, lease_until, poll_s)"
	    " VALUES (?1, ?2, ?3, ?4, nullif(?5, 0), ?6, ?7, ?8, ?9, ?10, ?11,"
	    " ?12)"
	    " ON CONFLICT (system_id) DO UPDATE SET pid = ?2, https_port = ?3,"
	    " http_port = ?4, cert_id = nullif(?5, 0), thumbprint = ?6,"
	    " bound_since = ?7, updated = ?8, host = ?9, started = ?10,"
	    " lease_until = ?11, poll_s = ?12",
	[ST_AGENT_HEALTH] = "UPDATE agent SET health_time = ?2, health_ok = ?3,"
	    " health_status = ?4, health_text = ?5, updated = ?2"
	    " WHERE system_id = ?1",
	[ST_AGENT_GET] = "SELECT " AGENT_COLS " WHERE a.system_id = ?1",
	/* A request, or a new one while not approved (enroll.c refuses a
	 * new key after approval: it needs a revoke first). It never
	 * touches the approval (an agent's login may not). */
	[ST_ENROLL_PUT] = "INSERT INTO agent_enroll (system_id, cert_der,"
	    " fingerprint, host, requested) VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (system_id) DO UPDATE SET cert_der = ?2,"
	    " fingerprint = ?3, host = ?4, requested = ?5",
	[ST_ENROLL_GET] = "SELECT " ENROLL_COLS " WHERE e.system_id = ?1",
	[ST_ENROLL_LIST] = "SELECT " ENROLL_COLS " ORDER BY y.fqdn",
	[ST_ENROLL_CERT] = "SELECT cert_der FROM agent_enroll"
	    " WHERE system_id = ?1",
	[ST_ENROLL_APPROVE] = "UPDATE agent_enroll SET approved = ?2,"
	    " approved_by = ?3 WHERE system_id = ?1 AND cert_der = ?4",
	[ST_ENROLL_DELETE] = "DELETE FROM agent_enroll WHERE system_id = ?1",
	[ST_AGENT_KEY_PUT] = "INSERT INTO agent_key (cert_id, system_id, cms)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (cert_id, system_id)"
	    " DO UPDATE SET cms = ?3",
	[ST_AGENT_KEY_GET] = "SELECT cms FROM agent_key WHERE cert_id = ?1"
	    " AND system_id = ?2",
	[ST_AGENT_KEY_DROP] = "DELETE FROM agent_key WHERE system_id = ?1",
	/* A site's copies of keys no longer served (superseded, revoked). */
	[ST_AGENT_KEY_PRUNE] = "DELETE FROM agent_key WHERE system_id IN"
	    " (SELECT id FROM site_system WHERE site_id = ?1) AND cert_id IN"
	    " (SELECT id FROM cert WHERE state <> 'active')",
	/* The keys an approved agent of the site serves and has no copy of
	 * yet: its system's certificates, and an MP's the site's token
	 * signing certificate. */
	[ST_AGENT_KEY_TODO] = "SELECT e.system_id, c.id FROM agent_enroll e"
	    " JOIN site_system y ON y.id = e.system_id"
	    " JOIN cert c ON c.state = 'active' AND (c.system_id = e.system_id"
	    " AND c.type IN ('role', 'pki') OR c.type = 'token' AND"
	    " c.site_id = y.site_id AND EXISTS (SELECT 1 FROM role r WHERE"
	    " r.system_id = e.system_id AND r.role = 'mp'))"
	    " WHERE e.approved <> 0 AND y.site_id = ?1 AND NOT EXISTS"
	    " (SELECT 1 FROM agent_key k WHERE k.cert_id = c.id AND"
	    " k.system_id = e.system_id) ORDER BY e.system_id, c.id",
	[ST_CHAIN_INSERT] = "INSERT INTO cert_chain (cert_id, pos, der)"
	    " VALUES (?1, ?2, ?3)",
	[ST_CHAIN_LIST] = "SELECT der FROM cert_chain WHERE cert_id = ?1"
	    " ORDER BY pos",
	[ST_HIER_GET] = "SELECT uuid, client_approval FROM hierarchy"
	    " WHERE id = 1",
	[ST_HIER_SET_APPROVAL] = "UPDATE hierarchy SET client_approval = ?1"
	    " WHERE id = 1",
	[ST_CLIENT_INSERT] = "INSERT INTO client (smsid, name, site_id,"
	    " thumbprint, sign_der, enc_der, approved, approved_by, blocked,"
	    " registered, last_contact) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	    " ?8, 0, ?9, ?9) RETURNING id",
	[ST_CLIENT_GET] = "SELECT " DB_CLIENT_COLS " WHERE c.id = ?1",
	[ST_CLIENT_GET_SMSID] = "SELECT " DB_CLIENT_COLS " WHERE c.smsid = ?1",
	[ST_CLIENT_GET_TP] = "SELECT " DB_CLIENT_COLS
	    " WHERE c.thumbprint = ?1",
	[ST_CLIENT_GET_NAME] = "SELECT " DB_CLIENT_COLS
	    " WHERE c.name = ?1 COLLATE NOCASE ORDER BY c.id LIMIT 2",
	[ST_CLIENT_PAGE] = "SELECT " DB_CLIENT_COLS " WHERE (?1 = 0 OR"
	    " c.site_id = ?1) AND c.id > ?2 ORDER BY c.id LIMIT ?3",
	[ST_CLIENT_PAGE_BACK] = "SELECT " DB_CLIENT_COLS " WHERE (?1 = 0 OR"
	    " c.site_id = ?1) AND (?2 = 0 OR c.id < ?2) ORDER BY c.id DESC"
	    " LIMIT ?3",
	[ST_CLIENT_COUNT] = "SELECT count(*) FROM client WHERE ?1 = 0 OR"
	    " site_id = ?1",
	[ST_CLIENT_SIGN_DER] = "SELECT sign_der FROM client WHERE id = ?1",
	[ST_CLIENT_BLOCKED] = "SELECT smsid FROM client WHERE blocked = 1",
	[ST_CLIENT_SEEN] = "UPDATE client SET last_contact = CASE WHEN"
	    " last_contact > ?2 THEN last_contact ELSE ?2 END WHERE smsid = ?1",
	[ST_CLIENT_APPROVE] = "UPDATE client SET approved = ?2, approved_by ="
	    " ?3 WHERE id = ?1",
	[ST_CLIENT_BLOCK] = "UPDATE client SET blocked = ?2 WHERE id = ?1",
	[ST_CLIENT_DELETE] = "DELETE FROM client WHERE id = ?1",
	[ST_BULK_INSERT] = "INSERT INTO bulk_token (id, site_id, not_before,"
	    " not_after, blocked, used, created) VALUES (?1, ?2, ?3, ?4, 0, 0,"
	    " ?5)",
	[ST_BULK_GET] = "SELECT " DB_BULK_COLS " WHERE b.id = ?1",
	[ST_BULK_LIST] = "SELECT " DB_BULK_COLS " ORDER BY b.created, b.id",
	[ST_BULK_BLOCK] = "UPDATE bulk_token SET blocked = ?2 WHERE id = ?1",
	[ST_BULK_USED] = "UPDATE bulk_token SET used = used + 1 WHERE id = ?1",
	[ST_TRUST_INSERT] = "INSERT INTO trusted_root (site_id, subject,"
	    " thumbprint, der, not_after, added) VALUES (?1, ?2, upper(?3), ?4,"
	    " ?5, ?6) RETURNING id",
	[ST_TRUST_LIST] = "SELECT t.id, t.site_id, s.code, t.subject,"
	    " t.thumbprint, t.not_after, t.added FROM trusted_root t"
	    " JOIN site s ON s.id = t.site_id WHERE t.site_id = ?1"
	    " ORDER BY t.subject, t.thumbprint",
	[ST_TRUST_DER] = "SELECT der FROM trusted_root WHERE site_id = ?1"
	    " ORDER BY id",
	[ST_TRUST_DELETE] = "DELETE FROM trusted_root WHERE site_id = ?1 AND"
	    " thumbprint = upper(?2)",
	[ST_AGENT_LIST] = "SELECT " AGENT_COLS " WHERE ?1 = 0 OR y.site_id = ?1"
	    " ORDER BY y.fqdn",
	/* db_site_roots_out() (db.h) */
	[ST_ROOTS_OUT] = "SELECT d.der FROM cert r JOIN cert_der d ON"
	    " d.cert_id = r.id WHERE r.site_id = ?1 AND r.type = 'root' AND"
	    " r.blocked = 0 AND (r.state = 'active' OR (r.state = 'superseded'"
	    " AND EXISTS (SELECT 1 FROM cert c WHERE c.issuer_id = r.id AND"
	    " c.state = 'active'))) ORDER BY r.state = 'active' DESC, r.id DESC",
	/* The site server's (db-sited.c). */
	[ST_RENEW_GET] = "SELECT coalesce(max(renew_days), 0) FROM"
	    " site_renewal WHERE site_id = ?1",
	[ST_RENEW_SET] = "INSERT INTO site_renewal (site_id, renew_days)"
	    " VALUES (?1, ?2) ON CONFLICT (site_id) DO UPDATE SET"
	    " renew_days = ?2",
	[ST_NOTICE_INSERT] = "INSERT INTO notice (kind, object_id, level, time)"
	    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
	[ST_SYS_UNCOVERED] = "SELECT y.id FROM site_system y WHERE"
	    " y.site_id = ?1"
	    " AND EXISTS (SELECT 1 FROM role r WHERE r.system_id = y.id)"
	    " AND NOT EXISTS (SELECT 1 FROM cert c WHERE c.system_id = y.id"
	    " AND c.state = 'active' AND (c.type = 'role' OR (c.type = 'pki'"
	    " AND c.blocked = 0 AND c.not_before <= ?2 AND c.not_after >= ?2)))"
	    " ORDER BY y.id",
	[ST_PASS_INSERT] = "INSERT INTO sited_pass (host, pid, started)"
	    " VALUES (?1, ?2, ?3) RETURNING id",
	[ST_PASS_TRIM] = "DELETE FROM sited_pass WHERE id <= ?1",
	[ST_PASS_END] = "UPDATE sited_pass SET finished = ?2, next = ?3,"
	    " checked = ?4, renewed = ?5, failed = ?6, warnings = ?7,"
	    " summary = ?8 WHERE id = ?1",
	[ST_PASS_LAST] = "SELECT id, host, pid, started, finished, next,"
	    " checked, renewed, failed, warnings, summary FROM sited_pass"
	    " ORDER BY id DESC LIMIT 1",
	[ST_PKG_SEQ] = "INSERT INTO package_seq (site_id, last) VALUES (?1, 1)"
	    " ON CONFLICT (site_id) DO UPDATE SET last = package_seq.last + 1"
	    " RETURNING last",
	[ST_PKG_INSERT] = "INSERT INTO package (id, site_id, name, version,"
	    " source, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_PKG_GET] = "SELECT " DB_PKG_COLS " WHERE p.id = ?1",
	[ST_PKG_LIST] = "SELECT " DB_PKG_COLS " WHERE ?1 = 0 OR p.site_id = ?1"
	    " ORDER BY p.id",
	[ST_PKG_SET_VERSION] = "UPDATE package SET version = ?2, source = ?3,"
	    " updated = ?4 WHERE id = ?1",
	[ST_PKG_DELETE] = "DELETE FROM package WHERE id = ?1",
	[ST_PKG_FILE_ADD] = "INSERT INTO package_file (package_id, version,"
	    " path, size, sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_PKG_FILES] = "SELECT path, size, sha256 FROM package_file"
	    " WHERE package_id = ?1 AND version = ?2 ORDER BY path",
	[ST_PKG_DP_SET] = "INSERT INTO package_dp (package_id, system_id,"
	    " version, state, error, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT (package_id, system_id) DO UPDATE SET version = ?3,"
	    " state = ?4, error = ?5, time = ?6",
	[ST_PKG_DP_GET] = "SELECT " DB_PKG_DP_COLS " WHERE d.package_id = ?1"
	    " AND d.system_id = ?2",
	[ST_PKG_DP_LIST] = "SELECT " DB_PKG_DP_COLS " WHERE (CAST(?1 AS TEXT) IS"
	    " NULL OR"
	    " d.package_id = ?1) AND (?2 = 0 OR d.system_id = ?2)"
	    " ORDER BY d.package_id, y.fqdn",
	[ST_PKG_DP_DELETE] = "DELETE FROM package_dp WHERE package_id = ?1"
	    " AND system_id = ?2",
	[ST_DP_PKG_PAGE] = "SELECT " DB_DP_PKG_COLS " WHERE d.system_id = ?1"
	    " AND d.package_id > ?2 ORDER BY d.package_id LIMIT ?3",
	[ST_DP_PKG_PAGE_BACK] = "SELECT " DB_DP_PKG_COLS " WHERE d.system_id ="
	    " ?1 AND (?2 = '' OR d.package_id < ?2) ORDER BY d.package_id DESC"
	    " LIMIT ?3",
	[ST_DP_PKG_COUNT] = "SELECT count(*) FROM package_dp WHERE system_id ="
	    " ?1",
	/* The agents' logins (db-login.c). */
	[ST_LOGIN_GET] = "SELECT l.role, l.system_id, y.fqdn, l.created FROM"
	    " agent_login l JOIN site_system y ON y.id = l.system_id WHERE"
	    " l.system_id = ?1",
	[ST_LOGIN_INSERT] = "INSERT INTO agent_login (role, system_id, created)"
	    " VALUES (?1, ?2, ?3)",
	[ST_LOGIN_DELETE] = "DELETE FROM agent_login WHERE system_id = ?1",
	/* The administration service's tokens (db-admin.c). */
	[ST_ATOKEN_INSERT] = "INSERT INTO admin_token (name, role, hash,"
	    " created, expires, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " RETURNING id",
	[ST_ATOKEN_GET_HASH] = "SELECT " DB_ATOKEN_COLS " WHERE hash = ?1",
	[ST_ATOKEN_GET_NAME] = "SELECT " DB_ATOKEN_COLS " WHERE name = ?1",
	[ST_ATOKEN_LIST] = "SELECT " DB_ATOKEN_COLS " ORDER BY name",
	[ST_ATOKEN_DELETE] = "DELETE FROM admin_token WHERE name = ?1",
};

/* The engine's message for the last failure: "<what>: <why>". */
static int
fail_engine(struct db *db, const char *what)
{
	char buf[256];

	snprintf(db->err, sizeof db->err, "%s: %s", what,
	    db->eng->errmsg(db, buf, sizeof buf));
	return -1;
}

int
db_fail(struct db *db, const char *what)
{
	if (db->refused) {	/* a bind failed, nothing was run */
		db->refused = 0;
		snprintf(db->err, sizeof db->err, "%s: %s", what, db->bad_why);
		return -1;
	}
	return fail_engine(db, what);
}

int
db_failf(struct db *db, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->err, sizeof db->err, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
db_error(const struct db *db)
{
	return db->err;
}

const char *
db_path(const struct db *db)
{
	return db->path;
}

/* The text of a fixed statement: the engine's own, else the common one. */
static const char *
stmt_text(struct db *db, enum db_stmt which)
{
	const char *const *own = db->eng->stmt_sql;

	return own != NULL && own[which] != NULL ? own[which] :
	    stmt_sql[which];
}

struct db_q *
db_stmt(struct db *db, enum db_stmt which)
{
	struct db_q *q = db->st[which];

	if (q == NULL) {
		if ((q = db->eng->prepare(db, stmt_text(db, which), 1)) ==
		    NULL) {
			char buf[256];

			db_stmt_fresh(db, NULL);
			db_stmt_failed(db, NULL, "preparing statement",
			    (int)which, db->eng->errmsg(db, buf, sizeof buf));
			return NULL;
		}
		db->st[which] = q;
	} else {
		db->eng->reset(q);
		db->eng->clear(q);
	}
	db_stmt_fresh(db, q);
	return q;
}

struct db_q *
db_stmt_id(struct db *db, enum db_stmt which, int64_t key)
{
	struct db_q *q = db_stmt(db, which);

	db_bind_int64(db, q, 1, key);
	return q;
}

struct db_q *
db_stmt_text(struct db *db, enum db_stmt which, const char *key)
{
	struct db_q *q = db_stmt(db, which);

	db_bind_text(db, q, 1, key);
	return q;
}

struct db_q *
db_stmt_id_text(struct db *db, enum db_stmt which, int64_t id,
    const char *text)
{
	struct db_q *q = db_stmt_id(db, which, id);

	db_bind_text(db, q, 2, text);
	return q;
}

int
db_prepare(struct db *db, const char *sql, struct db_q **q,
    const char *what)
{
	if ((*q = db->eng->prepare(db, sql, 0)) == NULL)
		return db_fail(db, what);
	db_stmt_fresh(db, *q);
	return 0;
}

int
db_step_done(struct db *db, struct db_q *q, const char *what)
{
	int rc = db_step(db, q);

	if (rc == -1)
		db_fail(db, what);
	db_reset(db, q);
	return rc == -1 ? -1 : 0;
}

_Static_assert(sizeof(time_t) == sizeof(int64_t), "DB_COL_INT reads time_t");

/* The current row of q into rec, as r lays it out (db-int.h). */
static void
read_row(struct db_q *q, const struct db_rec *r, void *rec)
{
	memset(rec, 0, r->size);
	for (size_t i = 0; i < r->ncols; i++) {
		const struct db_col *c = &r->cols[i];
		char *f = (char *)rec + c->off;
		int64_t v64;
		int v;

		switch (c->kind) {
		case DB_COL_TEXT:
			db_copy_text(f, c->size, q, (int)i);
			break;
		case DB_COL_INT:
			if (c->size == sizeof v64) {
				v64 = db_col_int64(q, (int)i);
				memcpy(f, &v64, sizeof v64);
			} else if (c->size == sizeof v) {
				v = db_col_int(q, (int)i);
				memcpy(f, &v, sizeof v);
			} else
				abort();	/* a bug in a layout table */
			break;
		case DB_COL_SKIP:
			break;
		}
	}
	if (r->finish != NULL)
		r->finish(q, rec);
}

int
db_read_one(struct db *db, struct db_q *q, const struct db_rec *r,
    void *rec, const char *what)
{
	int rc = db_step(db, q);

	if (rc == 1)
		read_row(q, r, rec);
	db_reset(db, q);
	return rc == -1 ? db_fail(db, what) : rc;
}

int
db_read_all(struct db *db, struct db_q *q, const struct db_rec *r,
    void *out, size_t *n, const char *what)
{
	char *v = NULL;
	size_t cap = 0;
	int rc;

	/* out is a struct X **: its pointer's bytes are copied, not cast. */
	memcpy(out, &v, sizeof v);
	*n = 0;
	while ((rc = db_step(db, q)) == 1) {
		v = xgrowarray(v, &cap, *n, 16, r->size);
		read_row(q, r, v + (*n)++ * r->size);
	}
	db_reset(db, q);
	if (rc != 0) {
		free(v);
		*n = 0;
		return db_fail(db, what);
	}
	memcpy(out, &v, sizeof v);
	return 0;
}

int
db_step_insert(struct db *db, struct db_q *q, int64_t *id, const char *what)
{
	int rc = db_step(db, q);

	if (rc == 1)
		*id = db_col_int64(q, 0);
	db_reset(db, q);
	if (rc == 1)
		return 0;
	if (rc == 0)
		return db_failf(db, "%s: the insert returned no id", what);
	return db_fail(db, what);
}

int
db_read_count(struct db *db, struct db_q *q, size_t *n, const char *what)
{
	if (db_step(db, q) != 1) {
		db_reset(db, q);
		return db_fail(db, what);
	}
	*n = db_col_int64(q, 0);
	db_reset(db, q);
	return 0;
}

int
db_read_blob(struct db *db, struct db_q *q, unsigned char **out, size_t *len,
    const char *what)
{
	int rc = db_step(db, q);

	*out = NULL;
	if (rc == 1) {
		const void *p = db_col_blob(q, 0, len);

		*out = xmalloc(*len > 0 ? *len : 1);
		if (*len > 0)
			memcpy(*out, p, *len);
	}
	db_reset(db, q);
	return rc == -1 ? db_fail(db, what) : rc;
}

/* As snprintf(dst, len, "%s", text) would, without its cost per column. */
void
db_copy_text(char *dst, size_t len, struct db_q *q, int col)
{
	const char *s = db_col_text(q, col);
	size_t n;

	if (len == 0)
		return;
	n = s != NULL ? strnlen(s, len - 1) : 0;
	memcpy(dst, s != NULL ? s : "", n);
	dst[n] = '\0';
}

/* Run sql (no parameters, no rows); 0 or -1 (db_fail(what)). */
static int
db_exec(struct db *db, const char *sql, const char *what)
{
	if (db->eng->exec(db, sql) == -1)
		return fail_engine(db, what);
	return 0;
}

int
db_user_version(struct db *db)
{
	int v = db->eng->version_get(db);

	if (v == -1)
		db_fail(db, "reading the schema version");
	return v;
}

int
db_data_version(struct db *db, int64_t *v)
{
	return db->eng->data_version(db, v);
}

int
db_check(struct db *db, void (*found)(void *, const char *), void *arg)
{
	return db->eng->check(db, found, arg);
}

/* The schema at its current version: an engine's in one step, or the
 * migrations from v on. */
static int
migrate_from(struct db *db, int v)
{
	const struct db_engine *eng = db->eng;
	const char *sql;

	if (v == 0 && eng->schema != NULL) {
		for (const char *const *s = eng->schema; *s != NULL; s++)
			if (db_exec(db, *s, "creating the schema") == -1)
				return -1;
		v = eng->schema_version;
	} else if (eng->schema != NULL && v < eng->schema_version)
		return db_failf(db, "%s: schema version %d: this engine has no"
		    " migration from it", db->path, v);
	for (; v < DB_SCHEMA_VERSION; v++) {
		sql = eng->migrations != NULL && eng->migrations[v] != NULL ?
		    eng->migrations[v] : migrations[v];
		if (db_exec(db, sql, "migrating the schema") == -1)
			return -1;
		if (eng->version_set(db, v + 1) == -1)
			return fail_engine(db, "recording the schema version");
	}
	return 0;
}

/*
 * The engine's open leaves the connection ready for this (SQLite: foreign
 * keys off, see db/sqlite/); its ready() follows.
 */
static int
migrate(struct db *db, int readonly)
{
	int v;

	/* Read first, without the write lock: a database at this version
	 * opens without waiting for another program's write. */
	if ((v = db_user_version(db)) == -1)
		return -1;
	if (v > DB_SCHEMA_VERSION)
		return db_failf(db, "%s: database schema version %d is newer"
		    " than this program understands (%d); use a newer ehttp",
		    db->path, v, DB_SCHEMA_VERSION);
	if (v == DB_SCHEMA_VERSION)
		return 0;
	if (readonly)
		return db_failf(db, "%s: schema version %d needs an upgrade to"
		    " %d, but the database is opened read-only", db->path, v,
		    DB_SCHEMA_VERSION);
	/* A migration: under the write lock, the version read again (two
	 * processes opening a new database at once must not both migrate
	 * it). */
	if (db_begin(db) == -1)
		return -1;
	if ((v = db_user_version(db)) == -1)
		goto fail;
	if (v > DB_SCHEMA_VERSION) {	/* a newer program came first */
		db_failf(db, "%s: database schema version %d is newer than"
		    " this program understands (%d); use a newer ehttp",
		    db->path, v, DB_SCHEMA_VERSION);
		goto fail;
	}
	if (v < DB_SCHEMA_VERSION && (migrate_from(db, v) == -1 ||
	    db->eng->check_references(db) == -1))
		goto fail;
	if (db_commit(db) == -1)
		goto fail;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

/*
 * The engine of a target: PostgreSQL for a libpq connection string (a
 * postgresql:// or postgres:// URI, or key=value pairs: an '=' before any
 * '/'), else SQLite's file.
 */
static const struct db_engine *
engine_for(const char *target)
{
	size_t eq = strcspn(target, "="), slash = strcspn(target, "/");

	if (strncmp(target, "postgresql://", 13) == 0 ||
	    strncmp(target, "postgres://", 11) == 0 ||
	    (target[eq] == '=' && eq < slash))
		return &db_pg_engine;
	return &db_sqlite_engine;
}

int
db_target_is_file(const char *target)
{
	return engine_for(target) == &db_sqlite_engine;
}

struct db *
db_open(const char *path, int flags, char **cause)
{
	struct db *db;
	int readonly = (flags & DB_OPEN_READONLY) != 0;

	*cause = NULL;
	if (path == NULL || *path == '\0') {
		xasprintf(cause, "no database path given (empty --db or"
		    " EHTTP_DB?)");
		return NULL;
	}
	db = xcalloc(1, sizeof *db);
	db->path = xstrdup(path);
	db->eng = engine_for(path);
	if (db->eng->open(db, flags, cause) == -1)
		goto fail;
	if (migrate(db, readonly) == -1 || db->eng->ready(db) == -1)
		goto fail;
	/*
	 * The other statements are prepared on first use, but the first one
	 * here: it makes the engine read the whole schema, so a damaged
	 * database is refused at open, before a program has printed anything.
	 */
	if (db_stmt(db, ST_SITE_INSERT) == NULL) {
		snprintf(db->err, sizeof db->err, "%s: %s", db->path,
		    db->bad_why);
		goto fail;
	}
	return db;
fail:
	if (*cause == NULL)
		xasprintf(cause, "%s", db->err);
	db_close(db);
	return NULL;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	for (int i = 0; i < ST_MAX; i++)
		db_finalize(db, db->st[i]);
	db->eng->close(db);
	free(db->path);
	free(db);
}

int
db_file_moved(struct db *db)
{
	return db->eng->file_moved(db);
}

int
db_checkpoint_all(struct db *db)
{
	return db->eng->checkpoint_all(db);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) /
	    1000000;
}

/* A write transaction inside another is a program error, refused the
 * same way on both engines: SQLite would fail it, PostgreSQL would go on
 * in the outer one, and roll that back if the lock were busy. */
static int
begin_nested(struct db *db)
{
	if (!db->eng->in_transaction(db))
		return 0;
	db_failf(db, "starting a transaction: one is already open on this"
	    " connection (a program error)");
	return 1;
}

/* Waiting for another writer: DB_WAIT_STEP_MS at a time in the engine
 * (SQLite's busy handler, PostgreSQL's lock queue), the waiting function
 * called between, up to DB_WAIT_MS in all. */
#define DB_WAIT_STEP_MS	250
int
db_begin(struct db *db)
{
	struct timespec t0;
	long ms;
	int rc, told = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	db->gave_up = 0;
	if (begin_nested(db))
		return -1;
	while ((rc = db->eng->begin(db, DB_WAIT_STEP_MS)) == 1) {
		db->gave_up = 1;	/* unless it begins after all */
		if ((ms = ms_since(&t0)) >= DB_WAIT_MS) {
			rc = db_failf(db, "starting a transaction: another"
			    " program has been writing to the site database"
			    " for %ld s (the database is locked)", ms / 1000);
			break;
		}
		if (db->waiting != NULL && (told = 1) &&
		    db->waiting(db->waiting_arg, ms) != 0) {
			rc = db_failf(db, "starting a transaction: stopped"
			    " waiting for another program's write to the site"
			    " database after %ld.%ld s", ms / 1000,
			    ms % 1000 / 100);
			break;
		}
	}
	if (told)
		(void)db->waiting(db->waiting_arg, -1);
	if (rc == 0)
		db->gave_up = 0;
	return rc;
}

int
db_gave_up(const struct db *db)
{
	return db->gave_up;
}

void
db_set_waiting(struct db *db, db_waiting_fn fn, void *arg)
{
	db->waiting = fn;
	db->waiting_arg = arg;
}

int
db_begin_try(struct db *db)
{
	if (begin_nested(db))
		return -1;
	return db->eng->begin(db, 0);
}

int
db_begin_read(struct db *db)
{
	return db->eng->begin_read(db);
}

int
db_commit(struct db *db)
{
	return db->eng->commit(db);
}

void
db_rollback(struct db *db)
{
	db->eng->rollback(db);
}

/* Sites. */

static const char *const site_type_names[] = { "cas", "primary", "secondary" };

static enum db_site_type
site_type_parse(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (s != NULL && strcmp(s, site_type_names[i]) == 0)
			return i;
	return DB_SITE_PRIMARY;
}

static void
site_type_read(struct db_q *st, void *rec)
{
	struct db_site *s = rec;

	s->type = site_type_parse(db_col_text(st, 3));
}

static const struct db_col site_cols[] = {	/* SITE_COLS */
	DB_COL(INT, struct db_site, id),
	DB_COL(TEXT, struct db_site, code),
	DB_COL(TEXT, struct db_site, name),
	DB_COL(SKIP, struct db_site, type),	/* site_type_read() */
	DB_COL(INT, struct db_site, parent_id),
	DB_COL(TEXT, struct db_site, parent_code),
	DB_COL(INT, struct db_site, created),
	DB_COL(INT, struct db_site, sec.https_only),
	DB_COL(INT, struct db_site, sec.enhanced_http),
	DB_COL(INT, struct db_site, sec.pki_client_cert),
	DB_COL(INT, struct db_site, sec.crl_check),
	DB_COL(INT, struct db_site, sec.require_signing),
	DB_COL(INT, struct db_site, sec.require_sha256),
	DB_COL(INT, struct db_site, sec.use_encryption),
	DB_COL(TEXT, struct db_site, sec.key_alg),
};
static const struct db_rec site_rec = DB_REC(struct db_site, site_cols,
    site_type_read);

static void
bind_security(struct db *db, struct db_q *st, int64_t id, const struct db_security *x)
{
	db_bind_int64(db, st, 1, id);
	db_bind_int(db, st, 2, x->https_only);
	db_bind_int(db, st, 3, x->enhanced_http);
	db_bind_int(db, st, 4, x->pki_client_cert);
	db_bind_int(db, st, 5, x->crl_check);
	db_bind_int(db, st, 6, x->require_signing);
	db_bind_int(db, st, 7, x->require_sha256);
	db_bind_int(db, st, 8, x->use_encryption);
	db_bind_text(db, st, 9, x->key_alg[0] ? x->key_alg : "rsa2048");
}

int
db_site_insert(struct db *db, struct db_site *s)
{
	struct db_q *st = db_stmt(db, ST_SITE_INSERT);

	if (s->created == 0)
		s->created = time(NULL);
	db_bind_text(db, st, 1, s->code);
	db_bind_text(db, st, 2, s->name);
	db_bind_text(db, st, 3, site_type_names[s->type]);
	db_bind_int64(db, st, 4, s->parent_id);
	db_bind_int64(db, st, 5, s->created);
	if (db_step_insert(db, st, &s->id, "adding the site") == -1)
		return -1;
	st = db_stmt(db, ST_SEC_INSERT);
	bind_security(db, st, s->id, &s->sec);
	return db_step_done(db, st, "adding the site's security settings");
}

int
db_site_get(struct db *db, const char *code, struct db_site *s)
{
	return db_read_one(db, db_stmt_text(db, ST_SITE_GET, code), &site_rec, s,
	    "reading a site");
}

int
db_site_get_id(struct db *db, int64_t id, struct db_site *s)
{
	return db_read_one(db, db_stmt_id(db, ST_SITE_GET_ID, id), &site_rec, s,
	    "reading a site");
}

int
db_site_list(struct db *db, struct db_site **out, size_t *n)
{
	return db_read_all(db, db_stmt(db, ST_SITE_LIST), &site_rec, out, n,
	    "listing sites");
}

int
db_site_set_security(struct db *db, int64_t id, const struct db_security *x)
{
	struct db_q *st = db_stmt(db, ST_SEC_UPDATE);

	bind_security(db, st, id, x);
	return db_step_done(db, st, "saving the security settings");
}

/* Site systems. */

static const struct db_col system_cols[] = {	/* SYS_COLS */
	DB_COL(INT, struct db_system, id),
	DB_COL(TEXT, struct db_system, fqdn),
	DB_COL(INT, struct db_system, site_id),
	DB_COL(TEXT, struct db_system, site_code),
	DB_COL(INT, struct db_system, created),
};
static const struct db_rec system_rec = DB_REC(struct db_system, system_cols,
    NULL);

int
db_system_insert(struct db *db, struct db_system *y)
{
	struct db_q *st = db_stmt(db, ST_SYS_INSERT);

	if (y->created == 0)
		y->created = time(NULL);
	db_bind_text(db, st, 1, y->fqdn);
	db_bind_int64(db, st, 2, y->site_id);
	db_bind_int64(db, st, 3, y->created);
	return db_step_insert(db, st, &y->id, "adding the site system");
}

int
db_system_get(struct db *db, const char *fqdn, struct db_system *y)
{
	return db_read_one(db, db_stmt_text(db, ST_SYS_GET, fqdn), &system_rec,
	    y, "reading a site system");
}

int
db_system_get_id(struct db *db, int64_t id, struct db_system *y)
{
	return db_read_one(db, db_stmt_id(db, ST_SYS_GET_ID, id), &system_rec,
	    y, "reading a site system");
}

int
db_system_list(struct db *db, int64_t site_id, struct db_system **out,
    size_t *n)
{
	return db_read_all(db, db_stmt_id(db, ST_SYS_LIST, site_id),
	    &system_rec, out, n, "listing site systems");
}

int
db_system_delete(struct db *db, int64_t id)
{
	return db_step_done(db, db_stmt_id(db, ST_SYS_DELETE, id),
	    "removing the site system");
}

/* Roles. */

static const struct db_col role_cols[] = {	/* ROLE_COLS */
	DB_COL(INT, struct db_role, id),
	DB_COL(INT, struct db_role, system_id),
	DB_COL(TEXT, struct db_role, fqdn),
	DB_COL(INT, struct db_role, site_id),
	DB_COL(TEXT, struct db_role, role),
	DB_COL(TEXT, struct db_role, connection),
	DB_COL(INT, struct db_role, allow_anonymous),
	DB_COL(INT, struct db_role, allow_propfind),
};
static const struct db_rec role_rec = DB_REC(struct db_role, role_cols, NULL);

int
db_role_insert(struct db *db, struct db_role *r)
{
	struct db_q *st = db_stmt(db, ST_ROLE_INSERT);

	db_bind_int64(db, st, 1, r->system_id);
	db_bind_text(db, st, 2, r->role);
	db_bind_text(db, st, 3, r->connection);
	db_bind_int(db, st, 4, r->allow_anonymous);
	db_bind_int(db, st, 5, r->allow_propfind);
	return db_step_insert(db, st, &r->id, "adding the role");
}

int
db_role_get(struct db *db, int64_t system_id, const char *role,
    struct db_role *r)
{
	return db_read_one(db, db_stmt_id_text(db, ST_ROLE_GET, system_id,
	    role), &role_rec, r, "reading a role");
}

int
db_role_update(struct db *db, const struct db_role *r)
{
	struct db_q *st = db_stmt(db, ST_ROLE_UPDATE);

	db_bind_int64(db, st, 1, r->id);
	db_bind_text(db, st, 2, r->connection);
	db_bind_int(db, st, 3, r->allow_anonymous);
	db_bind_int(db, st, 4, r->allow_propfind);
	return db_step_done(db, st, "changing the role");
}

int
db_role_delete(struct db *db, int64_t id)
{
	return db_step_done(db, db_stmt_id(db, ST_ROLE_DELETE, id),
	    "removing the role");
}

int
db_role_list(struct db *db, int64_t site_id, int64_t system_id,
    struct db_role **out, size_t *n)
{
	struct db_q *st = db_stmt(db, ST_ROLE_LIST);

	db_bind_int64(db, st, 1, site_id);
	db_bind_int64(db, st, 2, system_id);
	return db_read_all(db, st, &role_rec, out, n, "listing roles");
}

/* Status messages and audit. */

int
db_status_add(struct db *db, int64_t site_id, int64_t system_id,
    const char *severity, const char *component, const char *message)
{
	struct db_q *st = db_stmt(db, ST_STATUS_INSERT);

	db_bind_int64(db, st, 1, time(NULL));
	db_bind_int64(db, st, 2, site_id);
	db_bind_text(db, st, 3, severity);
	db_bind_text(db, st, 4, component);
	db_bind_text(db, st, 5, message);
	db_bind_int64(db, st, 6, system_id);
	return db_step_done(db, st, "recording a status message");
}

static const struct db_col status_cols[] = {	/* ST_STATUS_LIST */
	DB_COL(INT, struct db_status, id),
	DB_COL(INT, struct db_status, time),
	DB_COL(TEXT, struct db_status, site_code),
	DB_COL(TEXT, struct db_status, severity),
	DB_COL(TEXT, struct db_status, component),
	DB_COL(TEXT, struct db_status, message),
	DB_COL(INT, struct db_status, system_id),
	DB_COL(TEXT, struct db_status, system_fqdn),
};
static const struct db_rec status_rec = DB_REC(struct db_status, status_cols,
    NULL);

int
db_status_list(struct db *db, int64_t site_id, int64_t system_id,
    size_t limit, struct db_status **out, size_t *n)
{
	struct db_q *st = system_id != 0 ?
	    db_stmt_id(db, ST_STATUS_LIST_SYSTEM, system_id) :
	    db_stmt_id(db, ST_STATUS_LIST, site_id);

	db_bind_int64(db, st, 2, limit ? (int64_t)limit : INT64_MAX);
	return db_read_all(db, st, &status_rec, out, n,
	    "listing status messages");
}

int
db_audit_add(struct db *db, const char *user, const char *action,
    const char *object, const char *detail)
{
	struct db_q *st = db_stmt(db, ST_AUDIT_INSERT);

	db_bind_int64(db, st, 1, time(NULL));
	db_bind_text(db, st, 2, user);
	db_bind_text(db, st, 3, action);
	db_bind_text(db, st, 4, object);
	db_bind_text(db, st, 5, detail != NULL ? detail : "");
	return db_step_done(db, st, "recording the audit trail");
}

static const struct db_col audit_cols[] = {	/* ST_AUDIT_LIST */
	DB_COL(INT, struct db_audit, id),
	DB_COL(INT, struct db_audit, time),
	DB_COL(TEXT, struct db_audit, user),
	DB_COL(TEXT, struct db_audit, action),
	DB_COL(TEXT, struct db_audit, object),
	DB_COL(TEXT, struct db_audit, detail),
};
static const struct db_rec audit_rec = DB_REC(struct db_audit, audit_cols,
    NULL);

int
db_audit_list(struct db *db, size_t limit, struct db_audit **out, size_t *n)
{
	struct db_q *st = db_stmt(db, ST_AUDIT_LIST);

	db_bind_int64(db, st, 1, limit ? (int64_t)limit : INT64_MAX);
	return db_read_all(db, st, &audit_rec, out, n, "reading the audit trail");
}
