package pgstore

// migrations are applied in order, each once, under an advisory lock, and
// recorded in moneypenny_rotation_migrations. Never edit one that has
// shipped: append a new one.
var migrations = []string{
	// 1: groups, keys, and the trigger that tells listeners about changes.
	`
CREATE TABLE moneypenny_rotation_groups (
	name           text        PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
	key_size       integer     NOT NULL CHECK (key_size BETWEEN 16 AND 512),
	interval_us    bigint      NOT NULL CHECK (interval_us >= 100000),
	propagation_us bigint      NOT NULL CHECK (propagation_us >= 0),
	min_version    bigint      NOT NULL DEFAULT 0 CHECK (min_version BETWEEN 0 AND 4294967295),
	created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE moneypenny_rotation_keys (
	group_name   text        NOT NULL REFERENCES moneypenny_rotation_groups (name) ON DELETE CASCADE,
	version      bigint      NOT NULL CHECK (version BETWEEN 1 AND 4294967295),
	created_at   timestamptz NOT NULL,
	activated_at timestamptz NOT NULL CHECK (activated_at >= created_at),
	sealed       bytea       NOT NULL,
	PRIMARY KEY (group_name, version)
);

CREATE FUNCTION moneypenny_rotation_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	g text;
BEGIN
	IF TG_OP = 'DELETE' THEN
		g := to_jsonb(OLD) ->> TG_ARGV[0];
	ELSE
		g := to_jsonb(NEW) ->> TG_ARGV[0];
	END IF;
	PERFORM pg_notify('moneypenny_rotation', g);
	RETURN NULL;
END
$$;

CREATE TRIGGER moneypenny_rotation_keys_notify
	AFTER INSERT OR UPDATE OR DELETE ON moneypenny_rotation_keys
	FOR EACH ROW EXECUTE FUNCTION moneypenny_rotation_notify('group_name');

CREATE TRIGGER moneypenny_rotation_groups_notify
	AFTER INSERT OR UPDATE OR DELETE ON moneypenny_rotation_groups
	FOR EACH ROW EXECUTE FUNCTION moneypenny_rotation_notify('name');
`,
}

// channel is the NOTIFY channel; the payload is the group's name.
const channel = "moneypenny_rotation"

// Advisory lock keys (two-int form): the class of per-group rotation
// locks, whose second key is hashtext(group) (two groups whose names hash
// alike merely share a lock), and the migration lock.
const (
	lockClass          = 0x6d707274 // "mprt"
	migrationLockClass = 0x6d706d67 // "mpmg"
)
