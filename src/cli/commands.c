/* commands.c — the command table: names, summaries and help texts. The
 * documentation test checks that docs/cli.md covers every entry. */
#include <stdio.h>

#include "cli/cli.h"
#include "common/version.h"

static const td_cmd_t commands[] = {
    {"serve", "run the HTTP server",
     "usage: tenantd serve [--listen ADDR:PORT] [--data DIR] [--config FILE] [--demo]\n"
     "\n"
     "Runs the HTTP API until SIGINT or SIGTERM. --demo initialises the data\n"
     "folder when needed (printing the new superadmin password once) and creates\n"
     "a `demo` tenant with sample rows.\n",
     td_cmd_serve},
    {"init", "create the data folder, master key, catalog and first superadmin",
     "usage: tenantd init [--data DIR] [--admin-email EMAIL] [--admin-password-stdin]\n"
     "\n"
     "Creates the master key (data/master.key, mode 0600) unless TENANTD_MASTER_KEY\n"
     "is set, the catalog and its schema, and the first superadmin. Without\n"
     "--admin-password-stdin a password is generated and printed once.\n"
     "Running it again on an initialised folder changes nothing.\n",
     td_cmd_init},
    {"tenant", "create, list, show, suspend, resume, retry, delete or move tenants",
     "usage: tenantd tenant create SLUG [--name NAME] [--services a,b] [--admin-email E\n"
     "                      --admin-password-stdin] [--backend sqlite|postgres] [--plan P]\n"
     "                      [--async] [--json]\n"
     "       tenantd tenant list [--status STATUS] [--search TEXT] [--json]\n"
     "       tenantd tenant show SLUG|ID [--json]\n"
     "       tenantd tenant suspend|resume|retry SLUG|ID [--json]\n"
     "       tenantd tenant delete SLUG|ID [--yes] [--json]\n"
     "       tenantd tenant move SLUG|ID --to sqlite|postgres|SERVER|postgres://... [--async] [--json]\n"
     "       tenantd tenant move SLUG|ID --abort\n"
     "       tenantd tenant plan SLUG|ID [CODE] [--status trialing|active|past_due|cancelled]\n"
     "                      [--json]\n"
     "\n"
     "Slugs match ^[a-z][a-z0-9-]{1,62}$ and are not reserved words. The auth\n"
     "service is always enabled. retry resumes a tenant left provisioning or\n"
     "failed; delete removes its databases, files, role and key and keeps a\n"
     "tombstone row in the catalog. On a terminal delete asks you to type the\n"
     "slug; --yes skips the question (required without a terminal).\n"
     "create --async records the tenant (provisioning) and prints the\n"
     "tenant.provision job that creates its databases and makes it active; a\n"
     "job worker (tenantd serve, or tenantd jobs run) runs it.\n"
     "move copies the tenant's data to this node's SQLite folder, a registered\n"
     "PostgreSQL server (by name or id; postgres = the least loaded; a URL is\n"
     "registered first) while it serves, holds its writes for the last\n"
     "catch-up, checks every table's rows and checksum, switches, then removes\n"
     "the old copy. It runs as a tenant.move job: a running server takes it\n"
     "(and holds its own writes); without one this command runs it. Run it\n"
     "again to finish a move that was interrupted; --async only queues it;\n"
     "--abort gives up a move that has not switched (the copy is dropped).\n"
     "plan shows the tenant's subscription and its history; with CODE or --status\n"
     "it changes them (recorded with the proration for the rest of the period,\n"
     "not charged, and audited).\n",
     td_cmd_tenant},
    {"user", "add, list or disable a tenant's users",
     "usage: tenantd user add EMAIL --tenant SLUG --role admin|manager|client [--services a,b]\n"
     "                        [--name NAME] [--password-stdin]\n"
     "       tenantd user list --tenant SLUG [--json]\n"
     "       tenantd user disable EMAIL|ID --tenant SLUG\n"
     "\n"
     "Without --password-stdin a password is generated and printed once. Granted\n"
     "services must be enabled for the tenant. A disabled user can no longer log\n"
     "in or refresh, and running servers stop its tokens within seconds.\n",
     td_cmd_user},
    {"apikey", "create, list or revoke API keys",
     "usage: tenantd apikey create --name NAME [--tenant SLUG --role admin|manager|client]\n"
     "                             [--services a,b] [--read-only] [--expires-at TIME]\n"
     "       tenantd apikey list [--tenant SLUG] [--json]\n"
     "       tenantd apikey revoke ID [--tenant SLUG]\n"
     "\n"
     "With --tenant the key acts in that tenant with the given role; without, it\n"
     "is a platform key with the superadmin role. The key (tdk_...) is printed\n"
     "once and stored only as a hash.\n",
     td_cmd_apikey},
    {"credits", "grant credits to a tenant, or show its balance and ledger",
     "usage: tenantd credits grant TENANT CREDITS [--reference TEXT] [--idempotency-key KEY]\n"
     "                             [--period YYYY-MM] [--json]\n"
     "       tenantd credits show TENANT [--limit N] [--json]\n"
     "\n"
     "grant adds CREDITS (a whole number) to the tenant's balance, recorded in its\n"
     "ledger and audited. With --idempotency-key a repeat with the same key grants\n"
     "nothing more; with --period the grant is the tenant's included credits for\n"
     "that month, given at most once per month. show prints the balance and the\n"
     "newest ledger rows (20 unless --limit).\n",
     td_cmd_credits},
    {"check", "check the catalog, every database server and every tenant database",
     "usage: tenantd check [--data DIR] [--json]\n"
     "\n"
     "Exits 0 when everything answers, 1 when anything does not.\n",
     td_cmd_check},
    {"key", "rotate the master key or the token signing key",
     "usage: tenantd key rotate [--new-key-stdin] [--data DIR]\n"
     "       tenantd key rotate-signing [--data DIR]\n"
     "\n"
     "rotate re-wraps every tenant key under a new master key, safe while servers\n"
     "run (they read the new DATA/master.key when they meet it). With\n"
     "TENANTD_MASTER_KEY set, store a new key first and give it with\n"
     "--new-key-stdin, then restart every server with it.\n"
     "rotate-signing makes a new token signing key; tokens signed by the previous\n"
     "ones keep verifying until they expire. Running servers pick it up within a\n"
     "minute.\n",
     td_cmd_key},
    {"admin", "reset a superadmin's lost password from the machine",
     "usage: tenantd admin reset-password EMAIL [--data DIR] [--json] < new-password\n"
     "\n"
     "Reads the new password from standard input (one line; 8 to 1024 characters,\n"
     "not a common password), sets it, and ends every session and access token of\n"
     "that superadmin (running servers within seconds). Audited as\n"
     "admin.password_reset. Exits 1 when no superadmin has the email.\n",
     td_cmd_admin},
    {"jobs", "list, show, add, cancel, retry or run background jobs",
     "usage: tenantd jobs list [--kind K] [--state S] [--tenant ID] [--limit N] [--cursor C]\n"
     "                         [--json]\n"
     "       tenantd jobs show|cancel|retry ID [--json]\n"
     "       tenantd jobs add KIND [--tenant ID] [--payload JSON] [--max-attempts N] [--json]\n"
     "       tenantd jobs run [--once]\n"
     "\n"
     "Jobs are queued in the catalog and run by the workers of `tenantd serve`\n"
     "(job_workers) or of `tenantd jobs run`, which runs job_workers threads until\n"
     "SIGINT or SIGTERM; --once runs the jobs due now and exits. A job whose worker\n"
     "died is picked up again once its lease (job_lease_ms) ends and resumes from\n"
     "its last recorded step. cancel stops a queued or running job; retry queues a\n"
     "failed or cancelled one again with fresh attempts.\n",
     td_cmd_jobs},
    {"usage", "requests, writes, bytes and storage per hour or day",
     "usage: tenantd usage [--tenant SLUG] [--service S] [--from T] [--to T]\n"
     "                     [--bucket hour|day] [--json]\n"
     "\n"
     "The usage of one tenant, or of every tenant summed, per hour (default) or UTC\n"
     "day: requests, bytes in and out (request and answer bodies), writes and rows\n"
     "written, and storage (the highest figure of the bucket). --from and --to take\n"
     "RFC 3339 times or dates (default: the last 24 hours; at most 400 days).\n"
     "Request counts reach the catalog every usage_flush_ms from `tenantd serve`.\n",
     td_cmd_usage},
    {"audit", "list the audit log or verify its hash chains",
     "usage: tenantd audit list [--tenant SLUG] [--actor ID] [--action A] [--resource R]\n"
     "                          [--since T] [--until T] [--limit N] [--cursor C] [--json]\n"
     "       tenantd audit verify [--tenant SLUG] [--json]\n"
     "\n"
     "list prints audit records newest first (--tenant system: the platform's own\n"
     "chain; times are RFC 3339). verify recomputes every hash chain (or one\n"
     "tenant's) and the anchors over their heads: exit 0 with the counts when all\n"
     "hold, exit 1 naming the first broken record's chain and seq.\n",
     td_cmd_audit},
    {"migrate", "migrate tenants' service schemas to the code's migrations",
     "usage: tenantd migrate (--tenant SLUG | --all) [--service S] [--jobs N] [--canary K]\n"
     "                       [--dry-run] [--retry-failed] [--json]\n"
     "\n"
     "Brings tenants' service databases up to this binary's migrations (operators'\n"
     "services from TENANTD_SERVICES_DIR too). Tenants already current are skipped\n"
     "from the catalog's ledger without opening their databases. The first K\n"
     "tenants (--canary, default 1) migrate one by one, and a failure there stops\n"
     "the run; then N at a time (--jobs, 1-64, default 4). Each tenant's\n"
     "migrations run in one transaction: a tenant that fails is left as it was,\n"
     "quarantined with its error, and the run goes on; later runs skip it (and\n"
     "report it) until --retry-failed, --tenant SLUG, or a change to the failing\n"
     "migration. A migration whose text changed after it was applied stops the run\n"
     "(migration_checksum_mismatch). --dry-run lists what would migrate. A progress\n"
     "bar on a terminal; --json prints a line per tenant, then the report. Exit 1\n"
     "when a tenant failed or is quarantined. The same run in the background:\n"
     "POST /v1/admin/migrations (a tenants.migrate job).\n",
     td_cmd_migrate},
    {"backup", "write a tenant's backup file",
     "usage: tenantd backup SLUG [--out FILE] [--json]\n"
     "\n"
     "Writes one consistent backup of the tenant (all its services read in one\n"
     "snapshot while it serves), compressed and encrypted with the tenant's key\n"
     "(docs/backups.md). Without --out it goes to DATA/backups/<tenant-id>/ and is\n"
     "listed by GET /v1/tenants/{t}/backups. A bar shows progress on a terminal;\n"
     "--json prints a line per step and one at the end.\n",
     td_cmd_backup},
    {"restore", "restore a backup file into its tenant, or clone it",
     "usage: tenantd restore FILE [--as SLUG [--backend sqlite|postgres]] [--json]\n"
     "\n"
     "Restores the backup into the tenant it was taken of, replacing its data: the\n"
     "rows go into new databases that are swapped in only when all are in, so a\n"
     "failed restore leaves the tenant as it was. --as SLUG makes a new tenant with\n"
     "the backup's services and data (a clone), placed as --backend says (a backup\n"
     "taken on SQLite restores onto PostgreSQL and the reverse). A deleted tenant's\n"
     "backups cannot be read (its key is destroyed): backup_unreadable.\n",
     td_cmd_restore},
    {"import", "import a shared database into one tenant per value of its tenant column",
     "usage: tenantd import --from sqlite:FILE|postgres://… --tenant-column COL\n"
     "                      [--service NAME] [--map FILE] [--dry-run | --async] [--json]\n"
     "       tenantd import --from … --tenant-column COL --generate-service NAME --out DIR\n"
     "\n"
     "Reads a shared database whose tables all carry the tenant column COL and\n"
     "copies each distinct value's rows into its own tenant (made when missing,\n"
     "reused when there), table by table in foreign-key order, into the operator\n"
     "service NAME (default \"imported\"). First generate that service from the\n"
     "source schema (--generate-service NAME --out DIR), then point\n"
     "TENANTD_SERVICES_DIR at DIR. Values become slugs by the rule in\n"
     "docs/import.md, or by --map FILE (a JSON object value → slug). Idempotent:\n"
     "ids are derived from the source keys and tables already equal are not\n"
     "written, so a second run (or a run after a kill) changes nothing more.\n"
     "Prints per tenant per table the source rows, the imported rows and whether\n"
     "their checksums match (a JSON line each with --json); exit 1 on a mismatch.\n"
     "--dry-run reads and reports, writing nothing. --async checks as a dry run,\n"
     "then queues the same import as a tenants.import job (a step per tenant).\n",
     td_cmd_import},
    {"plan", "create, list, show, update or delete plans",
     "usage: tenantd plan list [--json]\n"
     "       tenantd plan show CODE [--json]\n"
     "       tenantd plan create CODE --name NAME [PLAN OPTIONS] [--json]\n"
     "       tenantd plan update CODE [PLAN OPTIONS] [--json]\n"
     "       tenantd plan delete CODE [--json]\n"
     "\n"
     "PLAN OPTIONS: --price N (minor units per period: 2900 = 29.00) --currency USD\n"
     "  --period month|year --max-users N --max-api-keys N --requests-per-minute N\n"
     "  --storage-bytes N --services a,b --max-rows-per-resource N\n"
     "  --included-credits N. A limit left out when creating, or given as\n"
     "  'unlimited', is unlimited; --services unlimited allows every service.\n"
     "init seeds free, pro and business. Tenants on a plan get its new limits at\n"
     "once (running servers within a second). A plan a tenant is on cannot be\n"
     "deleted. See also: tenantd tenant plan SLUG [CODE] [--status S].\n",
     td_cmd_plan},
    {"account", "list, show, suspend or resume accounts that own tenants",
     "usage: tenantd account list [--search TEXT] [--json]\n"
     "       tenantd account show|suspend|resume ID [--json]\n"
     "\n"
     "An account (a person or company) owns the tenants its owners signed up\n"
     "or added. list shows the newest 200 (--search: name or owner email\n"
     "containing TEXT, any case). suspend stops its owners from logging in or\n"
     "switching into its tenants and ends their tokens (running servers notice\n"
     "within seconds); resume lets them in again. Both are audited.\n",
     td_cmd_account},
    {"version", "print the version, the commit and the libraries' versions",
     "usage: tenantd version [--json]   (also: tenantd --version)\n"
     "\n"
     "Prints the version, the git commit it was built from (\"-dirty\": with\n"
     "uncommitted changes; \"unknown\": not built from a git checkout) and the\n"
     "version of each library as the running binary finds it.\n",
     td_cmd_version},
};

const td_cmd_t *td_cli_commands(size_t *n) {
    *n = sizeof(commands) / sizeof(commands[0]);
    return commands;
}

void td_cli_print_usage(FILE *f) {
    fprintf(f, "usage: tenantd [--data DIR] [--config FILE] [--json] COMMAND [ARGS]\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'tenantd COMMAND --help' for a command's options.\n"
               "Configuration: flags over TENANTD_* environment over --config file over "
               "defaults (docs/configuration.md).\n");
}

int td_cmd_version(td_cli_t *cli) {
    td_library_version_t libs[16];
    size_t n = td_version_libraries(libs, 16);
    if (cli->json) {
        json_t *l = json_object();
        for (size_t i = 0; i < n; i++)
            json_object_set_new(l, libs[i].name, json_string(libs[i].version));
        td_cli_print_json(json_pack("{s:s, s:s, s:o}", "version", TD_VERSION, "commit",
                                    td_version_commit(), "libraries", l));
        return TD_EXIT_OK;
    }
    printf("tenantd %s (commit %s)\n", TD_VERSION, td_version_commit());
    for (size_t i = 0; i < n; i++)
        printf("  %-14s %s\n", libs[i].name, libs[i].version);
    return TD_EXIT_OK;
}

