/*
 * agent: what the management-point agent (ehttp-mpd) reads from the site
 * database at each poll, and the key material of the certificate it binds.
 *
 * Loading a key to bind it is not an export: unlike ehttp_cert_key_pem()
 * it writes no audit record (the agent would write one every poll). The
 * key PEM lives in memory only, is cleared by agent_material_clear(), and
 * never goes to a log or a message.
 */
#ifndef AGENT_H
#define AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ehttp.h"

#define AGENT_COMPONENT	DB_AGENT_COMPONENT

/* The build number of the client protocol (Configuration Manager
 * 5.00.9128, current branch 2403) the management point answers as. */
#define AGENT_MP_VERSION	9128

/* One poll's view of the agent's site system. */
struct agent_view {
	struct db_system	 system;
	struct db_site		 site;
	int			 is_mp;		/* the system hosts an MP */
	int			 is_dp;		/* and a DP: its role in dp */
	int			 is_provider;	/* an SMS Provider (the
						   administration service) */
	struct db_role		 dp;
	/* The certificate to bind, by ehttp_system_serving() (ehttp.h):
	 * has_cert 0: serve no TLS, for the reason given. */
	struct ehttp_serving	 serving;
	int			 has_cert;
	struct db_cert		 cert;
	char			 no_cert_reason[1024];
	/* The trust store of the health check (ehttp_trust_anchors). */
	struct ehttp_der	*anchors;
	size_t			 nanchors;
	/* The site's current SMS Issuing root, if it has one and it is not
	 * blocked (served on ?MPCERT). */
	int			 has_root;
	struct db_cert		 root;
	unsigned char		*root_der;
	size_t			 root_der_len;
	char			*root_pem;
	/* GET /SMS_MP/.sms_aut bodies (see agent_view_read): ?MPLIST,
	 * ?MPLIST1, ?MPKEYINFORMATIONEX and ?SITESIGNCERT (NULL while the
	 * site has no unblocked root); mps the MP elements of the third. */
	char			*mplist;
	char			*mplist1;
	char			*mps;
	char			*mpkeyinfo;
	char			*sitesigncert;
	/* Why management points were left out of those lists (a name that
	 * is no host name, written around the rules), "" when none was. */
	char			 mps_left_out[512];
};

/*
 * Read the view for fqdn: 1 done, 0 no such site system (view->
 * no_cert_reason says so), -1 error (ehttp_error()). Clear the view
 * afterwards (also after 0 or -1).
 *
 * The MP list is one line of XML, one MP element per management point of
 * the site, sorted by FQDN:
 *   <MPList><MP Name="P01.CONTOSO.COM" FQDN="p01.contoso.com">
 *   <Version>9128</Version><Capabilities SchemaVersion="1.0">
 *   <Property Name="SSLState" Value="1"/></Capabilities></MP></MPList>
 * Name is the FQDN in upper case; Version the build number of the
 * Configuration Manager client protocol ehttp follows (AGENT_MP_VERSION);
 * SSLState is 1 when that MP has a certificate to serve TLS with (by the
 * rule above), else 0. ?MPLIST1 is the same with SiteCode="P01" on each
 * MP.
 */
int	 agent_view_read(struct ehttp *, const char *fqdn, struct agent_view *);
void	 agent_view_clear(struct agent_view *);

/* What a TLS server needs: the certificate, its chain (issuer first, up to
 * the root) and the decrypted private key. */
#define AGENT_CHAIN_MAX	7
struct agent_material {
	unsigned char	*cert;
	size_t		 cert_len;
	unsigned char	*chain[AGENT_CHAIN_MAX];
	size_t		 chain_len[AGENT_CHAIN_MAX];
	size_t		 nchain;
	char		*key_pem;	/* unencrypted PKCS#8 PEM */
	size_t		 key_len;
};

/* Load (and decrypt) the material of c: 0, or -1 with ehttp_error()
 * ("no private key stored", "does not match", ...). */
int	 agent_material_load(struct ehttp *, const struct db_cert *c,
	    struct agent_material *);
/* Clears the key with OPENSSL_cleanse (ca_cleanse) and frees it all. */
void	 agent_material_clear(struct agent_material *);

/*
 * The agent's records in the site database (agent-lease.c): its row (pid,
 * ports, what is bound since when, the last health check), the status
 * messages of its changes, and the lease: one agent per site system. The
 * row names the holder (host, pid, since when) and the time its lease runs
 * out; every write refreshes it, in the same transaction that checks that
 * nobody else holds it. A live lease of another agent refuses the write; a
 * lease not refreshed in time, or held by a process gone from this host,
 * is taken over with a warning (a note, ehttp_notes()).
 */
#define AGENT_EVENTS_MAX	16
struct agent_report {
	struct db_agent	 row;		/* the row as it stands (pid 0 and
					   lease_until 0: giving it back) */
	int64_t		 site_id;	/* of the status messages */
	int		 health;	/* a health check to record */
	time_t		 health_time;
	int		 health_ok;
	int		 health_status;
	char		 health_text[256];
	size_t		 nevents;
	char		 event_sev[AGENT_EVENTS_MAX][8];
	char		 events[AGENT_EVENTS_MAX][512];
};

/*
 * At start: claim fqdn's site system for this process (row->host, this
 * pid) and write row; row->system_id is set here. 1 done, or no such site
 * system (system_id 0, nothing written); 0 another agent holds the lease
 * (ehttp_error() says which); -1 error (ehttp_error()).
 */
int	 agent_lease_claim(struct ehttp *, const char *fqdn,
	    struct db_agent *row);
/*
 * Write the report in one transaction (the row, the events, the health
 * check), refreshing the lease: 1 written, 0 another agent holds the lease
 * (ehttp_error() says which; nothing written), -1 error (nothing written).
 * wait 0: 2 when another program is writing to the database now (nothing
 * written; it did not wait), for the agent's event loop.
 */
int	 agent_report_write(struct ehttp *, const char *fqdn,
	    const struct agent_report *, int wait);

#endif
