/* jobs_int.h — helpers shared by the files of jobs/. */
#ifndef TD_JOBS_INT_H
#define TD_JOBS_INT_H

#include "jobs/jobs.h"

/* Checks the actor may manage jobs (403 forbidden) and leases a catalog
 * connection into op's arena (503 catalog_unavailable). */
td_status td_jobs_begin(td_op_t *op, td_db_t **db);
/* Records a failure to read or write the queue (500) and returns st. */
td_status td_jobs_db_fail(td_op_t *op, td_status st);
/* 1 when payload is NULL or the text of a JSON object. */
int td_jobs_payload_ok(const char *payload);

#endif
