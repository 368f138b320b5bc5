/*
 * Reference implementation of the @microcosm/sqlite benchmark workloads in
 * plain C against the system libsqlite3. It is the lower bound the
 * TypeScript implementations are compared with.
 *
 * Build:  gcc -O2 bench/reference.c -lsqlite3 -o bench/.data/reference
 * Usage:  reference <db> <workload> [count] [--config=<name>]
 *
 * Workloads (data set: see bench/_data.ts):
 *   scan          select id,name,category,value from t order by id
 *   lookup [N]    N point queries (default 200000) by id; ids come from
 *                 xorshift32 (13,17,5) seeded with LOOKUP_SEED, id = x % 1e6 + 1
 *   filter        select id,name,category,value from t
 *                 where category = 'cat-7' order by id
 *   count [N]     N times (default 1000): select count(*) from t
 *                 where category = ?  bound to 'cat-7'
 *   open [N]      N times (default 100): open, configure, query id = 1, close
 *
 * Only the workload is timed (CLOCK_MONOTONIC); for all workloads except
 * `open` the connection is opened and configured before the clock starts.
 *
 * Output: one JSON line
 *   {"workload":"scan","config":"...","ms":12.3,"rows":1000000,"checksum":N}
 *
 * Checksum, reproducible by every implementation:
 *   row workloads: sum(id) + sum(strlen(name) + strlen(category))
 *                  + floor(sum(value))     (values summed in row order)
 *   count:         sum of the counts returned
 * rows: rows read (count: number of count queries).
 *
 * Configurations (--config=...; default: the fastest measured, see
 * DEFAULT_CONFIG):
 *   plain      sqlite3_open_v2(path, READONLY)
 *   mmap       READONLY + PRAGMA mmap_size=268435456
 *   exclusive  READONLY + mmap + PRAGMA locking_mode=EXCLUSIVE
 *   immutable  file:<path>?mode=ro&immutable=1 (READONLY|URI) + mmap
 *   immutable-exclusive  immutable + locking_mode=EXCLUSIVE
 *   immutable-nomutex    immutable + SQLITE_OPEN_NOMUTEX
 *   immutable-single     immutable-nomutex + sqlite3_config(SINGLETHREAD)
 *                        and sqlite3_config(MEMSTATUS, 0) before init
 *
 * Measured (2-vCPU VM, SQLite 3.40.1, medians of 15-21 interleaved runs):
 * without immutable=1 or locking_mode=EXCLUSIVE every statement re-takes the
 * shared lock and re-reads the header, making `lookup` ~5x slower (plain
 * ~2270 ms vs ~380 ms); EXCLUSIVE and immutable are equal; mmap helps
 * `scan`/`filter` a little; NOMUTEX cuts `scan` ~18% (no mutex around each
 * sqlite3_column_* call); SINGLETHREAD + MEMSTATUS=0 adds ~5% on `lookup`.
 * Hence the default immutable-single.
 */
#define _POSIX_C_SOURCE 199309L
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOOKUP_SEED 0x9E3779B9u
#define ROW_COUNT 1000000u
#define DEFAULT_CONFIG "immutable-single"

static const char *COLUMNS = "select id, name, category, value from t";

typedef struct {
  const char *name;
  int uri;       /* open through file:...?mode=ro&immutable=1 */
  int mmap;      /* PRAGMA mmap_size=268435456 */
  int exclusive; /* PRAGMA locking_mode=EXCLUSIVE */
  int nomutex;   /* SQLITE_OPEN_NOMUTEX */
  int single;    /* SQLITE_CONFIG_SINGLETHREAD + SQLITE_CONFIG_MEMSTATUS=0 */
} Config;

static const Config CONFIGS[] = {
    {"plain", 0, 0, 0, 0, 0},
    {"mmap", 0, 1, 0, 0, 0},
    {"exclusive", 0, 1, 1, 0, 0},
    {"immutable", 1, 1, 0, 0, 0},
    {"immutable-exclusive", 1, 1, 1, 0, 0},
    {"immutable-nomutex", 1, 1, 0, 1, 0},
    {"immutable-single", 1, 1, 0, 1, 1},
};

typedef struct {
  int64_t id_sum;
  int64_t text_bytes;
  double value_sum;
  int64_t rows;
} Acc;

static void die(sqlite3 *db, const char *what) {
  fprintf(stderr, "reference: %s: %s\n", what,
          db ? sqlite3_errmsg(db) : "out of memory");
  exit(1);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void exec(sqlite3 *db, const char *sql) {
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) die(db, sql);
}

static sqlite3 *open_db(const char *path, const Config *cfg) {
  sqlite3 *db = NULL;
  int flags = SQLITE_OPEN_READONLY;
  int rc;
  if (cfg->nomutex) flags |= SQLITE_OPEN_NOMUTEX;
  if (cfg->uri) {
    /* Paths are plain file names here; '?' and '#' would need escaping. */
    char *uri = sqlite3_mprintf("file:%s?mode=ro&immutable=1", path);
    if (!uri) die(NULL, "sqlite3_mprintf");
    rc = sqlite3_open_v2(uri, &db, flags | SQLITE_OPEN_URI, NULL);
    sqlite3_free(uri);
  } else {
    rc = sqlite3_open_v2(path, &db, flags, NULL);
  }
  if (rc != SQLITE_OK) die(db, "sqlite3_open_v2");
  if (cfg->mmap) exec(db, "pragma mmap_size = 268435456");
  if (cfg->exclusive) exec(db, "pragma locking_mode = exclusive");
  return db;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
    die(db, sql);
  return stmt;
}

/* Reads every column of the current row into the accumulator. */
static inline void read_row(sqlite3_stmt *stmt, Acc *acc) {
  const char *name, *category;
  acc->id_sum += sqlite3_column_int64(stmt, 0);
  name = (const char *)sqlite3_column_text(stmt, 1);
  category = (const char *)sqlite3_column_text(stmt, 2);
  if (name) acc->text_bytes += (int64_t)strlen(name);
  if (category) acc->text_bytes += (int64_t)strlen(category);
  acc->value_sum += sqlite3_column_double(stmt, 3);
  acc->rows++;
}

static void step_all(sqlite3 *db, sqlite3_stmt *stmt, Acc *acc) {
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) read_row(stmt, acc);
  if (rc != SQLITE_DONE) die(db, "sqlite3_step");
}

/* floor() without libm, so the documented gcc line needs no -lm. */
static int64_t floor_i64(double v) {
  int64_t t = (int64_t)v;
  return (double)t > v ? t - 1 : t;
}

static int64_t checksum(const Acc *acc) {
  return acc->id_sum + acc->text_bytes + floor_i64(acc->value_sum);
}

static void run_scan(sqlite3 *db, Acc *acc) {
  char sql[128];
  sqlite3_stmt *stmt;
  snprintf(sql, sizeof sql, "%s order by id", COLUMNS);
  stmt = prepare(db, sql);
  step_all(db, stmt, acc);
  sqlite3_finalize(stmt);
}

static void run_filter(sqlite3 *db, Acc *acc) {
  char sql[128];
  sqlite3_stmt *stmt;
  snprintf(sql, sizeof sql, "%s where category = 'cat-7' order by id",
           COLUMNS);
  stmt = prepare(db, sql);
  step_all(db, stmt, acc);
  sqlite3_finalize(stmt);
}

static void run_lookup(sqlite3 *db, long n, Acc *acc) {
  char sql[128];
  sqlite3_stmt *stmt;
  uint32_t x = LOOKUP_SEED;
  long i;
  snprintf(sql, sizeof sql, "%s where id = ?", COLUMNS);
  stmt = prepare(db, sql);
  for (i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    sqlite3_bind_int64(stmt, 1, (sqlite3_int64)(x % ROW_COUNT) + 1);
    step_all(db, stmt, acc);
    sqlite3_reset(stmt);
  }
  sqlite3_finalize(stmt);
}

/* acc->id_sum carries the sum of counts; acc->rows the number of queries. */
static void run_count(sqlite3 *db, long n, Acc *acc) {
  sqlite3_stmt *stmt = prepare(db, "select count(*) from t where category = ?");
  long i;
  for (i = 0; i < n; i++) {
    sqlite3_bind_text(stmt, 1, "cat-7", 5, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_ROW) die(db, "count step");
    acc->id_sum += sqlite3_column_int64(stmt, 0);
    acc->rows++;
    sqlite3_reset(stmt);
  }
  sqlite3_finalize(stmt);
}

static void run_open(const char *path, const Config *cfg, long n, Acc *acc) {
  char sql[128];
  long i;
  snprintf(sql, sizeof sql, "%s where id = 1", COLUMNS);
  for (i = 0; i < n; i++) {
    sqlite3 *db = open_db(path, cfg);
    sqlite3_stmt *stmt = prepare(db, sql);
    step_all(db, stmt, acc);
    sqlite3_finalize(stmt);
    if (sqlite3_close(db) != SQLITE_OK) die(db, "sqlite3_close");
  }
}

static void usage(void) {
  fprintf(stderr,
          "usage: reference <db> scan|lookup|filter|count|open [count] "
          "[--config=plain|mmap|exclusive|immutable|immutable-exclusive|"
          "immutable-nomutex|immutable-single]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *path = NULL, *workload = NULL, *config = DEFAULT_CONFIG;
  long count = -1;
  const Config *cfg = NULL;
  Acc acc = {0, 0, 0.0, 0};
  sqlite3 *db = NULL;
  double t0, t1;
  int64_t sum;
  size_t i;
  int a;

  for (a = 1; a < argc; a++) {
    if (strncmp(argv[a], "--config=", 9) == 0) {
      config = argv[a] + 9;
    } else if (!path) {
      path = argv[a];
    } else if (!workload) {
      workload = argv[a];
    } else if (count < 0) {
      char *end;
      count = strtol(argv[a], &end, 10);
      if (*end || count < 0) usage();
    } else {
      usage();
    }
  }
  if (!path || !workload) usage();
  for (i = 0; i < sizeof CONFIGS / sizeof CONFIGS[0]; i++) {
    if (strcmp(CONFIGS[i].name, config) == 0) cfg = &CONFIGS[i];
  }
  if (!cfg) usage();
  if (cfg->single) {
    sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  }

  if (strcmp(workload, "open") == 0) {
    if (count < 0) count = 100;
    t0 = now_ms();
    run_open(path, cfg, count, &acc);
    t1 = now_ms();
  } else {
    db = open_db(path, cfg);
    if (strcmp(workload, "scan") == 0) {
      t0 = now_ms();
      run_scan(db, &acc);
      t1 = now_ms();
    } else if (strcmp(workload, "filter") == 0) {
      t0 = now_ms();
      run_filter(db, &acc);
      t1 = now_ms();
    } else if (strcmp(workload, "lookup") == 0) {
      if (count < 0) count = 200000;
      t0 = now_ms();
      run_lookup(db, count, &acc);
      t1 = now_ms();
    } else if (strcmp(workload, "count") == 0) {
      if (count < 0) count = 1000;
      t0 = now_ms();
      run_count(db, count, &acc);
      t1 = now_ms();
    } else {
      usage();
      return 2;
    }
    sqlite3_close(db);
  }

  sum = strcmp(workload, "count") == 0 ? acc.id_sum : checksum(&acc);
  printf("{\"workload\":\"%s\",\"config\":\"%s\",\"ms\":%.3f,\"rows\":%lld,"
         "\"checksum\":%lld}\n",
         workload, cfg->name, t1 - t0, (long long)acc.rows, (long long)sum);
  return 0;
}
