/** The global queue: tasks, the drones that claim them, and the enqueue function any client can call. */
export default `
CREATE TABLE {schema}.tasks (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type            text NOT NULL CHECK (char_length(type) BETWEEN 1 AND 200),
  data            jsonb NOT NULL DEFAULT 'null',
  postback        text CHECK (postback IS NULL OR char_length(postback) BETWEEN 1 AND 200),
  priority        int NOT NULL DEFAULT 0,
  run_at          timestamptz NOT NULL DEFAULT now(),
  state           text NOT NULL DEFAULT 'available' CHECK (state IN ('available', 'claimed', 'failed')),
  attempts        int NOT NULL DEFAULT 0,
  max_attempts    int NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
  claimed_by      text,
  claimed_at      timestamptz,
  lease_until     timestamptz,
  last_error      text,
  last_error_stack text,
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- The claim walks this index in order: by type, highest priority first, then oldest.
CREATE INDEX tasks_claim ON {schema}.tasks (type, priority DESC, run_at, id) WHERE state = 'available';
-- Heartbeats, restarts and lease rescue only look at claimed rows, which are few.
CREATE INDEX tasks_claimed ON {schema}.tasks (claimed_by, lease_until) WHERE state = 'claimed';
CREATE INDEX tasks_failed ON {schema}.tasks (type, id) WHERE state = 'failed';

CREATE TABLE {schema}.drones (
  id            text PRIMARY KEY,
  host          text NOT NULL,
  pid           int NOT NULL,
  task_types    text[] NOT NULL,
  started_at    timestamptz NOT NULL DEFAULT now(),
  heartbeat_at  timestamptz NOT NULL DEFAULT now(),
  lease_ms      int NOT NULL
);

-- One notification per task type per statement (not per row), so bulk inserts stay cheap.
CREATE FUNCTION {schema}.notify_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE t text;
BEGIN
  FOR t IN SELECT DISTINCT type FROM new_rows WHERE state = 'available' AND run_at <= now() LOOP
    PERFORM pg_notify(TG_TABLE_SCHEMA || '_tasks', t);
  END LOOP;
  RETURN NULL;
END $$;

CREATE TRIGGER tasks_notify_insert AFTER INSERT ON {schema}.tasks
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {schema}.notify_tasks();

CREATE FUNCTION {schema}.enqueue(
  task_type text,
  task_data jsonb DEFAULT 'null',
  postback text DEFAULT NULL,
  priority int DEFAULT 0,
  run_at timestamptz DEFAULT now(),
  max_attempts int DEFAULT 5
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE new_id bigint;
BEGIN
  IF task_type IS NULL OR char_length(task_type) = 0 THEN
    RAISE EXCEPTION 'swarmage.enqueue: task_type must be a non-empty text' USING ERRCODE = '22023';
  END IF;
  IF char_length(task_type) > 200 THEN
    RAISE EXCEPTION 'swarmage.enqueue: task_type is % characters long; the limit is 200', char_length(task_type) USING ERRCODE = '22023';
  END IF;
  IF starts_with(task_type, 'local:') THEN
    RAISE EXCEPTION 'swarmage.enqueue: task_type % uses the "local:" prefix, which only chains inside a drone', task_type USING ERRCODE = '22023';
  END IF;
  IF postback IS NOT NULL AND (char_length(postback) = 0 OR char_length(postback) > 200) THEN
    RAISE EXCEPTION 'swarmage.enqueue: postback must be 1 to 200 characters' USING ERRCODE = '22023';
  END IF;
  IF max_attempts IS NOT NULL AND max_attempts < 1 THEN
    RAISE EXCEPTION 'swarmage.enqueue: max_attempts must be at least 1, got %', max_attempts USING ERRCODE = '22023';
  END IF;
  IF task_data IS NOT NULL AND octet_length(task_data::text) > 1048576 THEN
    RAISE EXCEPTION 'swarmage.enqueue: task_data is % bytes; the limit is 1048576 (1 MiB)', octet_length(task_data::text) USING ERRCODE = '22023';
  END IF;
  INSERT INTO {schema}.tasks (type, data, postback, priority, run_at, max_attempts)
  VALUES (task_type, coalesce(task_data, 'null'), enqueue.postback, coalesce(enqueue.priority, 0),
          coalesce(enqueue.run_at, now()), coalesce(enqueue.max_attempts, 5))
  RETURNING id INTO new_id;
  RETURN new_id;
END $$;
`;
