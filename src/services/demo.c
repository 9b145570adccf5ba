/* demo.c — believable sample rows for the demo tenant (serve --demo). */
#include <stdio.h>

#include "common/id.h"
#include "common/timeutil.h"
#include "services/services.h"

static const struct {
    const char *name, *email, *phone, *website;
} customers[] = {
    {"Globex Corporation", "info@globex.test", "+1 555 0100", "https://globex.test"},
    {"Initech", "hello@initech.test", "+1 555 0101", "https://initech.test"},
    {"Umbrella Health", "contact@umbrella.test", "+44 20 7946 0102", "https://umbrella.test"},
    {"Stark Industrial", "sales@stark.test", "+1 555 0103", "https://stark.test"},
    {"Wayne Logistics", "ops@wayne.test", "+1 555 0104", "https://wayne.test"},
};

static const struct {
    const char *first, *last, *email;
} contacts[] = {
    {"Hank", "Scorpio", "hank@globex.test"}, {"Peter", "Gibbons", "peter@initech.test"},
    {"Alice", "Abernathy", "alice@umbrella.test"}, {"Pepper", "Potts", "pepper@stark.test"},
    {"Lucius", "Fox", "lucius@wayne.test"},
};

static const struct {
    const char *title, *stage;
    const char *amount;
} deals[] = {
    {"Globex annual licence", "proposal", "4800000"}, {"Initech TPS upgrade", "negotiation", "1250000"},
    {"Umbrella pilot", "qualified", "300000"},     {"Stark fleet rollout", "won", "9900000"},
    {"Wayne renewal", "new", "720000"},
};

td_status td_services_demo_fill(td_db_t *db) {
    char now[32];
    td_time_iso(td_now_ms(), now, sizeof(now));
    td_status st = td_db_begin(db, TD_DB_WRITE);
    for (size_t i = 0; !st && i < sizeof(customers) / sizeof(customers[0]); i++) {
        char cid[TD_ID_LEN + 1], pid[TD_ID_LEN + 1], did[TD_ID_LEN + 1];
        td_id_new(cid);
        td_id_new(pid);
        td_id_new(did);
        st = td_db_execv(db, NULL,
                         "INSERT INTO crm.customers (id, name, email, phone, website, created_at,"
                         " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         cid, customers[i].name, customers[i].email, customers[i].phone,
                         customers[i].website, now, now, NULL);
        if (!st)
            st = td_db_execv(db, NULL,
                             "INSERT INTO crm.contacts (id, customer_id, first_name, last_name,"
                             " email, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                             pid, cid, contacts[i].first, contacts[i].last, contacts[i].email, now,
                             now, NULL);
        if (!st)
            st = td_db_execv(db, NULL,
                             "INSERT INTO crm.deals (id, customer_id, title, amount, stage,"
                             " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                             did, cid, deals[i].title, deals[i].amount, deals[i].stage, now, now,
                             NULL);
    }
    static const char *const leads[][3] = {{"Dana Scully", "dana@fbi.test", "referral"},
                                           {"Fox Mulder", "fox@fbi.test", "website"},
                                           {"Marge Gunderson", "marge@brainerd.test", "event"}};
    for (size_t i = 0; !st && i < 3; i++) {
        char id[TD_ID_LEN + 1];
        td_id_new(id);
        st = td_db_execv(db, NULL,
                         "INSERT INTO crm.leads (id, name, email, source, created_at, updated_at)"
                         " VALUES (?, ?, ?, ?, ?, ?)",
                         id, leads[i][0], leads[i][1], leads[i][2], now, now, NULL);
    }
    if (!st)
        st = td_db_commit(db);
    else
        td_db_rollback(db);
    return st;
}
